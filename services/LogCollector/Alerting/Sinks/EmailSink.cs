using System.Globalization;
using MailKit.Net.Smtp;
using Microservices.Logs.V1;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Microservices.LogCollector.Alerting.Sinks;

/// <summary>Sends each notification as a plain-text e-mail through SMTP (MailKit).</summary>
internal sealed class EmailSink(IOptions<AlertingOptions> options) : INotificationSink
{
    private readonly EmailOptions _options = options.Value.Email;

    /// <inheritdoc />
    public string Name => "email";

    /// <inheritdoc />
    public bool Enabled => _options.Host.Length > 0;

    /// <inheritdoc />
    public SinkRetry Retry => new(_options.MaxAttempts, _options.Timeout, _options.InitialBackoff);

    /// <inheritdoc />
    public async Task SendAsync(AlertNotification notification, CancellationToken cancellationToken)
    {
        var alert = notification.Alert;
        using var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(_options.From));
        foreach (var to in _options.To)
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        message.Subject = notification.Text;
        message.Body = new TextPart("plain")
        {
            // Figures in the invariant culture: a reader's locale must not turn 0.05 into "0,05".
            Text = string.Create(CultureInfo.InvariantCulture, $"""
                {notification.Text}

                rule:      {alert.Rule}
                service:   {(alert.Scope == AlertScope.Overall ? "(all services)" : alert.Service)}
                state:     {alert.State}
                value:     {alert.Value}
                threshold: {alert.Threshold}
                started:   {alert.StartedAt?.ToDateTimeOffset():O}
                resolved:  {alert.ResolvedAt?.ToDateTimeOffset():O}
                """),
        };

        using var client = new SmtpClient();
        await client.ConnectAsync(_options.Host, _options.Port, _options.Security, cancellationToken);
        if (_options.UserName.Length > 0)
        {
            await client.AuthenticateAsync(_options.UserName, _options.Password, cancellationToken);
        }

        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }
}
