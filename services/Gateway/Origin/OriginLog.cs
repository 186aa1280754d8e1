namespace Microservices.Gateway.Origin;

/// <summary>Log messages of the origin.</summary>
internal static partial class OriginLog
{
    [LoggerMessage(LogLevel.Warning, "Origin database: a background connection task failed")]
    public static partial void BackgroundFailure(ILogger logger, Exception exception);
}
