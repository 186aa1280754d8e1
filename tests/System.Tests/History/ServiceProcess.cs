using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Microservices.SystemTests.History;

/// <summary>
/// One built service (its dll under <c>services/&lt;Name&gt;/bin/&lt;Configuration&gt;/net10.0/</c>) run as a child
/// process with <c>dotnet</c>, listening on 127.0.0.1 at <see cref="Port"/>, configured through environment variables.
/// It can be paused (SIGSTOP), resumed (SIGCONT) and killed (SIGKILL), and started again on the same port. Only the
/// process this object started is ever signalled, by its pid; <see cref="Dispose"/> kills it if it still runs.
/// Its last output lines are kept for a failure message.
/// </summary>
internal sealed class ServiceProcess : IDisposable
{
    private const int KeptLines = 40;
    private readonly string _dll;
    private readonly Dictionary<string, string> _environment;
    private readonly Queue<string> _output = new();
    private Process? _process;

    public ServiceProcess(string service, int port, Dictionary<string, string> environment)
    {
        _dll = Path.Combine(ServiceBinaries(service), $"{service}.dll");
        Assert.True(File.Exists(_dll), $"{_dll} is not built (dotnet build Microservices.sln)");
        Name = service;
        Port = port;
        _environment = environment;
    }

    public string Name { get; }

    public int Port { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}");

    /// <summary>The pid of the process now running, or null.</summary>
    public int? Pid => _process is { HasExited: false } process ? process.Id : null;

    /// <summary>The last lines the process (or its previous runs) wrote.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>A port nobody listened on a moment ago (the system picks it).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the process (again, after a kill: a fresh one, its memory empty).</summary>
    public void Start()
    {
        Assert.Null(Pid);
        var start = new ProcessStartInfo("dotnet", [_dll, "--urls", Address.ToString()])
        {
            WorkingDirectory = Path.GetDirectoryName(_dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, line) => Keep(line.Data);
        _process.ErrorDataReceived += (_, line) => Keep(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>SIGSTOP: the process stops where it is; its sockets stay open, calls to it hang.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>SIGCONT: the stopped process goes on, and reads what was sent to it meanwhile.</summary>
    public Task ResumeAsync() => SignalAsync("CONT");

    /// <summary>SIGKILL, and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    public void Dispose()
    {
        if (_process is { } process)
        {
            try
            {
                if (!process.HasExited)
                {
                    // A stopped process dies of SIGKILL too.
                    process.Kill();
                    process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // It exited meanwhile.
            }

            process.Dispose();
            _process = null;
        }
    }

    private async Task SignalAsync(string signal)
    {
        var pid = Pid ?? throw new InvalidOperationException($"{Name} is not running");
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, kill.ExitCode);
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > KeptLines)
            {
                _output.Dequeue();
            }
        }
    }

    // services/<service>/bin/<the configuration these tests were built in>/net10.0, found from the repository root.
    private static string ServiceBinaries(string service)
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = testOutput.Parent!.Name;
        var root = testOutput;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Microservices.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        return Path.Combine(root.FullName, "services", service, "bin", configuration, testOutput.Name);
    }
}
