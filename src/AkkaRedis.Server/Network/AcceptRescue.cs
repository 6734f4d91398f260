using Akka.Actor;
using Akka.Event;

namespace AkkaRedis.Server.Network;

/// <summary>
/// Works around a race in Akka.NET 1.5's <c>TcpListener</c>: it starts accepting inside its Bind handler but handles
/// accepted sockets only after its own <c>Bound</c> message has come back through its mailbox. A client that connects
/// in between (one polling a starting server for PING does) is accepted and then dropped as an unhandled message:
/// its socket stays open, is never read, and the client waits forever. This actor listens for those unhandled
/// <c>AcceptCompleted</c> messages and hands each back to the listener a moment later, once it handles them.
/// Subscribe it to <see cref="UnhandledMessage"/> on the event stream before binding.
/// </summary>
public sealed class AcceptRescue : ReceiveActor
{
    /// <summary>Akka's private message for a completed accept (TcpListener.AcceptCompleted).</summary>
    private const string AcceptCompletedType = "Akka.IO.TcpListener+AcceptCompleted";

    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(10);

    public AcceptRescue()
    {
        Receive<UnhandledMessage>(unhandled =>
        {
            if (unhandled.Message.GetType().FullName != AcceptCompletedType) return;
            // If the listener is still not bound it is unhandled again, and comes back here for another try.
            Context.System.Scheduler.ScheduleTellOnce(Retry, unhandled.Recipient, unhandled.Message, ActorRefs.NoSender);
        });
    }
}
