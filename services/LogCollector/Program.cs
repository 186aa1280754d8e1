using Microservices.LogCollector;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddLogCollectorServices();

var app = builder.Build();
app.MapLogCollector();
app.MapDefaultEndpoints();
app.Run();

/// <summary>Entry point; public so in-process tests can host it.</summary>
public partial class Program;
