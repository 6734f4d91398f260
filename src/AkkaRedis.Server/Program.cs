using Akka.Configuration;
using Akka.Hosting;
using AkkaRedis.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.Write(ServerOptions.Help());
    return 0;
}

Config hocon;
var hoconDir = Path.Combine(AppContext.BaseDirectory, "hocon");
AkkaRedis.Keyspace.Server.ServerConfig config;
try
{
    var defaults = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(hoconDir, "akkaredis.conf")))
        .WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(hoconDir, "dispatcher.conf"))));
    var commandLine = ServerOptions.ParseCommandLine(args);
    hocon = commandLine.Overrides.WithFallback(defaults);
    config = ServerOptions.ToServerConfig(hocon);
    ServerOptions.ApplyParameters(config, commandLine.Parameters);
    config.ConfigFile = commandLine.ConfigFilePath;
    config.ConfiguredUsers = commandLine.Users;
}
catch (ConfigFile.ConfigException e)
{
    Console.Error.WriteLine(e.Report());
    return 1;
}
catch (ServerOptions.UsageException e)
{
    Console.Error.WriteLine(new ConfigFile.ConfigException(e.Message).Report());
    return 1;
}

if (!ServerLog.TryOpen(config, out var logProblem))
{
    Console.Error.WriteLine(logProblem);
    return 1;
}
ServerLog.Starting(config);
PidFile.Write(config);

// Akka's own log level follows redis' loglevel.
string akkaLevel = config.LogLevel switch { "debug" => "DEBUG", "verbose" => "INFO", "nothing" => "OFF", _ => "WARNING" };
hocon = ConfigurationFactory.ParseString($"akka.loglevel = {akkaLevel}\nakka.stdout-loglevel = {akkaLevel}").WithFallback(hocon);
hocon = ServerOptions.JournalConfig(config).WithFallback(hocon);
if (config.Cluster) hocon = ServerOptions.ClusterConfig(config, hoconDir).WithFallback(hocon);

// Socket threads running the request path (see LocalFirstExecutorConfigurator) is for a single node: in a cluster,
// commands also run in lending holds and remoting's and the shared journal's continuations would share those threads.
const string inlineKey = "akka.actor.default-dispatcher.inline-on-socket-threads";
if (config.Cluster) hocon = ConfigurationFactory.ParseString($"{inlineKey} = off").WithFallback(hocon);
AkkaRedis.Server.Network.SocketThreads.Configure(config.IoThreads, runCompletionsInline: hocon.GetBoolean(inlineKey));

// The command table, and the AOF read while the actor system starts.
var early = EarlyStart.Begin(config);

// A bare host: no appsettings files (and no file watchers), console lifetime for SIGINT/SIGTERM.
var host = new HostBuilder()
    .UseConsoleLifetime(options => options.SuppressStatusMessages = true)
    .ConfigureServices(services =>
    {
        services.AddSingleton(config);
        services.AddSingleton(early);
        services.AddAkka(ServerOptions.SystemName, builder => builder.AddHocon(hocon, HoconAddMode.Prepend));
        services.AddHostedService<RedisServer>();
    })
    .Build();

try
{
    await host.RunAsync();
}
catch (Exception e)
{
    Console.Error.WriteLine($"*** FATAL: could not start the server: {e.Message}");
    return 1;
}
finally
{
    PidFile.Remove(config);
}
return 0;
