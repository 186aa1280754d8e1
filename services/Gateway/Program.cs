using Microservices.Gateway;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();
app.MapGateway();
app.MapDefaultEndpoints();
app.Run();

/// <summary>Entry point; public so in-process tests can host it.</summary>
public partial class Program;
