using AkkaRedis.Keyspace.Commands;

namespace AkkaRedis.Server.Sessions;

/// <summary>
/// Handlers of the commands that run in the connection (route Session), indexed by command id once the
/// command table is built. They are registered in the command table with no shard handler.
/// </summary>
public sealed class SessionCommandTable
{
    private readonly Dictionary<string, SessionHandler> _byName = new(StringComparer.OrdinalIgnoreCase);
    private SessionHandler?[] _byId = [];

    public void Add(string name, SessionHandler handler) => _byName.Add(name, handler);

    /// <summary>Adds every registered name to the command table builder as a session command.</summary>
    public void RegisterInto(CommandTable.Builder builder)
    {
        foreach (var name in _byName.Keys) builder.Add(name, CommandRoute.Session, null);
    }

    public void Bind(CommandTable table)
    {
        _byId = new SessionHandler?[table.AllSpecs.Count];
        foreach (var (name, handler) in _byName)
        {
            var spec = table.AllSpecs.First(s => s.Name == name.ToLowerInvariant());
            _byId[spec.Id] = handler;
        }
    }

    public SessionHandler? Find(CommandSpec spec) => spec.Id < _byId.Length ? _byId[spec.Id] : null;
}
