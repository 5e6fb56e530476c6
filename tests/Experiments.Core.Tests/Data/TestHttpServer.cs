using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Experiments.Core.Tests.Data;

/// <summary>What the test server answers to one request.</summary>
/// <param name="Status">HTTP status code.</param>
/// <param name="Body">The bytes actually sent.</param>
/// <param name="DeclaredLength">Content-Length sent; more than the body's length simulates a cut-off transfer.</param>
/// <param name="Stall">Keep the connection open after the body, sending nothing more, until the server is disposed.</param>
internal sealed record TestResponse(int Status, byte[] Body, long? DeclaredLength = null, bool Stall = false)
{
    public static TestResponse Ok(byte[] body) => new(200, body);

    public static TestResponse NotFound() => new(404, Encoding.ASCII.GetBytes("no such file"));

    /// <summary>Sends the first half of the body under the full Content-Length, then closes the connection.</summary>
    public static TestResponse CutOff(byte[] body) => new(200, body[..(body.Length / 2)], body.Length);

    /// <summary>Sends the headers and the first 10 bytes of the body, then nothing more (a stalled network).</summary>
    public static TestResponse Stalled(byte[] body) => new(200, body[..10], body.Length, Stall: true);
}

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 (a free port chosen by the OS): one request per connection, answered by
/// a handler given the request path. Records every path requested.
/// </summary>
internal sealed class TestHttpServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<string, TestResponse> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TestHttpServer(Func<string, TestResponse> handler)
    {
        _handler = handler;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _loop = Task.Run(AcceptLoop);
    }

    public Uri BaseUri { get; }

    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>A mirror URL under this server: <c>http://127.0.0.1:port/prefix/</c>.</summary>
    public Uri Mirror(string prefix) => new(BaseUri, prefix + "/");

    /// <summary>A URL on which nothing listens: connecting to it is refused.</summary>
    public static Uri RefusingMirror()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new Uri($"http://127.0.0.1:{port}/refused/");
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                string? path = await ReadRequestPath(stream);
                if (path is null)
                {
                    return;
                }

                Requests.Enqueue(path);
                var response = _handler(path);
                var head = new StringBuilder()
                    .Append($"HTTP/1.1 {response.Status} {(response.Status == 200 ? "OK" : "Not Found")}\r\n")
                    .Append("Content-Type: application/octet-stream\r\n")
                    .Append($"Content-Length: {response.DeclaredLength ?? response.Body.Length}\r\n")
                    .Append("Connection: close\r\n\r\n");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
                await stream.WriteAsync(response.Body);
                await stream.FlushAsync();
                if (response.Stall)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }

                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The client went away, or the server stops: nothing to do.
            }
        }
    }

    /// <summary>Reads the request head and returns its path (e.g. <c>/good/x.gz</c>).</summary>
    private static async Task<string?> ReadRequestPath(NetworkStream stream)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (received.Count < 64 * 1024)
        {
            int n = await stream.ReadAsync(buffer);
            if (n == 0)
            {
                return null;
            }

            received.AddRange(buffer.AsSpan(0, n));
            string text = Encoding.ASCII.GetString([.. received]);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                string[] requestLine = text[..text.IndexOf("\r\n", StringComparison.Ordinal)].Split(' ');
                return requestLine.Length >= 2 ? requestLine[1] : null;
            }
        }

        return null;
    }
}
