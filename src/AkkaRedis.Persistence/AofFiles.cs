using System.Runtime.InteropServices;

namespace AkkaRedis.Persistence;

/// <summary>File-system steps the journal needs that .NET does not offer directly.</summary>
public static class AofFiles
{
    /// <summary>fsync of a directory, so a rename or a new file in it survives a power cut (no-op where unsupported).</summary>
    public static void FsyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        int fd = open(directory, 0 /* O_RDONLY */);
        if (fd < 0) return;
        try
        {
            fsync(fd);
        }
        finally
        {
            close(fd);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPStr)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="content"/> so that a crash at any moment leaves the old or
    /// the new file whole: written to a temporary file, fsynced, renamed over the old one, and the directory fsynced.
    /// </summary>
    public static void ReplaceAtomically(string path, ReadOnlySpan<byte> content)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        FsyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>Opens a file for appending with no user-space buffer: every Write is one write(2).</summary>
    public static FileStream OpenAppend(string path) =>
        new(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
}
