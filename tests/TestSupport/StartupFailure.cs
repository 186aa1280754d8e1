namespace Microservices.TestSupport;

/// <summary>
/// The exception a service that must not start throws at start. WebApplicationFactory's deferred host sometimes
/// reports a failed start as <see cref="ObjectDisposedException"/> (a race between the application disposing its
/// services and the test host reading them, seen in about one full run in five), so the start is tried again then.
/// </summary>
public static class StartupFailure
{
    /// <summary>Runs <paramref name="start"/> (create and start a service) until it throws something else than
    /// <see cref="ObjectDisposedException"/>, at most 10 times; returns what it threw.</summary>
    /// <exception cref="InvalidOperationException">The service started.</exception>
    public static Exception Of(Action start)
    {
        Exception? error = null;
        for (var attempt = 0; attempt < 10 && error is null or ObjectDisposedException; attempt++)
        {
            try
            {
                start();
                throw new InvalidOperationException("the service started");
            }
            catch (Exception ex) when (ex is not InvalidOperationException { Message: "the service started" })
            {
                error = ex;
            }
        }

        return error!;
    }
}
