namespace Microservices.Samples.WebApi.Telemetry;

/// <summary>
/// One log line per request, with its response time in the attribute <c>response_time_ms</c>, which the log collector
/// reads as the entry's response time (its averages, percentiles and slow-response alert); 5xx answers are logged as
/// errors (its error rate). <c>/health</c> is left out.
/// </summary>
internal static partial class RequestLog
{
    private const string Category = "Microservices.Samples.WebApi.Requests";

    public static IApplicationBuilder UseRequestLog(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        var time = app.ApplicationServices.GetRequiredService<TimeProvider>();
        return app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal))
            {
                await next(context);
                return;
            }

            var started = time.GetTimestamp();
            var status = StatusCodes.Status500InternalServerError;
            try
            {
                await next(context);
                status = context.Response.StatusCode;
            }
            finally
            {
                var elapsed = time.GetElapsedTime(started).TotalMilliseconds;
                var level = status >= 500 ? LogLevel.Error : LogLevel.Information;
                LogRequest(logger, level, context.Request.Method, context.Request.Path.Value ?? "/", status, elapsed);
            }
        });
    }

    [LoggerMessage("{Method} {Path} answered {StatusCode} in {response_time_ms} ms")]
    private static partial void LogRequest(ILogger logger, LogLevel level, string method, string path, int statusCode, double response_time_ms);
}
