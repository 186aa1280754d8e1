using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microservices.TestSupport;

namespace Microservices.Gateway.Tests;

/// <summary>
/// The gateway on real sockets (Kestrel, not the test server): its Http1:Port endpoint speaks HTTP/1.1, for curl
/// and load balancers' probes, and its other endpoint HTTP/2 with prior knowledge, for gRPC.
/// </summary>
public sealed class Http1EndpointTests : IDisposable
{
    private readonly int _grpcPort = FreePort();
    private readonly int _http1Port = FreePort();
    private readonly GrpcServiceApp<Program> _gateway;
    private readonly HttpClient _http1 = new()
    {
        DefaultRequestVersion = HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    public Http1EndpointTests()
    {
        _gateway = new GrpcServiceApp<Program>(new()
        {
            ["urls"] = $"http://127.0.0.1:{_grpcPort};http://127.0.0.1:{_http1Port}",
            ["Http1:Port"] = _http1Port.ToString(CultureInfo.InvariantCulture),
            ["Gateway:Nodes:0:Name"] = "node-1",
            ["Gateway:Nodes:0:Address"] = "http://127.0.0.1:9",
        });
        _gateway.UseKestrel();
        _gateway.StartServer();
    }

    public void Dispose()
    {
        _http1.Dispose();
        _gateway.Dispose();
    }

    [Fact]
    public async Task TheHttp1PortAnswersTheLivenessProbe()
    {
        using var response = await _http1.GetAsync(new Uri($"http://127.0.0.1:{_http1Port}/alive"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version11, response.Version);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheHttp1PortAnswersTheReadinessProbe()
    {
        using var response = await _http1.GetAsync(new Uri($"http://127.0.0.1:{_http1Port}/health"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheHttp1PortAnswersHttpJson()
    {
        using var response = await _http1.GetAsync(new Uri($"http://127.0.0.1:{_http1Port}/v1/cache/user:1001"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task TheOtherPortAnswersGrpcWithPriorKnowledge()
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_grpcPort}");

        var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task TheGrpcPortRefusesHttp11()
    {
        // Kestrel answers an HTTP/1.1 request on an HTTP/2-only endpoint with 400 and closes the connection.
        using var response = await _http1.GetAsync(new Uri($"http://127.0.0.1:{_grpcPort}/alive"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
