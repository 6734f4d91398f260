using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using AkkaRedis.Server.Network;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// A client that connects the moment a server starts listening must be served: Akka.NET's TcpListener drops a
/// connection accepted before it has processed its own Bound message, unless <see cref="AcceptRescue"/> hands it back.
/// </summary>
public sealed class AcceptRescueTests : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public async Task ConnectionsAcceptedWhileBindingAreServed()
    {
        Sys.EventStream.Subscribe(Sys.ActorOf(Props.Create<AcceptRescue>()), typeof(UnhandledMessage));
        var materializer = Sys.Materializer();
        // The window is a few microseconds wide, so each round binds a new listener with a client already dialling it;
        // without the rescue about one round in ten hangs here.
        for (int round = 0; round < 40; round++)
        {
            int port = FreePort();
            using var stop = new CancellationTokenSource();
            var client = Task.Run(() => FirstReply(port, stop.Token));
            await Task.Delay(5);
            var binding = await Sys.TcpStream().Bind("127.0.0.1", port)
                .To(Sink.ForEach<Akka.Streams.Dsl.Tcp.IncomingConnection>(c => c.HandleWith(Flow.Create<ByteString>(), materializer)))
                .Run(materializer);
            var finished = await Task.WhenAny(client, Task.Delay(TimeSpan.FromSeconds(5)));
            stop.Cancel();
            Assert.True(finished == client, $"round {round}: the first connection was never served");
            Assert.Equal("ping", await client);
            _ = binding.Unbind();
        }
    }

    /// <summary>Dials until the port accepts, sends "ping" and returns what comes back (the echo).</summary>
    private static async Task<string> FirstReply(int port, CancellationToken stop)
    {
        while (true)
        {
            stop.ThrowIfCancellationRequested();
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, port, stop);
            }
            catch (SocketException)
            {
                continue;
            }
            await socket.SendAsync("ping"u8.ToArray(), SocketFlags.None, stop);
            var buffer = new byte[16];
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, stop);
            return System.Text.Encoding.ASCII.GetString(buffer, 0, read);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
