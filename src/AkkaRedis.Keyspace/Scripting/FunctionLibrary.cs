namespace AkkaRedis.Keyspace.Scripting;

/// <summary>A function registered by a library: its flags ("no-writes", ...) and description, as FUNCTION LIST shows them.</summary>
public sealed record FunctionInfo(string Name, string Library, string[] Flags, string? Description)
{
    public bool NoWrites => Array.IndexOf(Flags, "no-writes") >= 0;
    public bool NoCluster => Array.IndexOf(Flags, "no-cluster") >= 0;
    public bool AllowOom => Array.IndexOf(Flags, "allow-oom") >= 0;
}

/// <summary>A library loaded with FUNCTION LOAD: its name, its code as given, and its functions.</summary>
public sealed record FunctionLibrary(string Name, string Code, List<FunctionInfo> Functions);
