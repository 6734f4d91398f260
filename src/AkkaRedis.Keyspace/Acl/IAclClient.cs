namespace AkkaRedis.Keyspace.Acl;

/// <summary>A connection as ACL checks see it: the user it is authenticated as, and its CLIENT LIST line for ACL LOG.</summary>
public interface IAclClient
{
    AclUser User { get; }
    string Describe(long nowMs, int queryBytes = 0);
}
