using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace ConvNet.Serialization;

/// <summary>
/// Replaces a file atomically: write a temporary file next to it, flush it to disk, rename it over the target, then
/// flush the directory so the rename itself survives a power cut. A reader sees the old file or the new one, never a
/// mix. Temporary files that killed writers left behind for the same target are removed on the next write.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/> atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string temp = Prepare(path, out string full, out string dir);
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(file);
                file.Flush(flushToDisk: true);
            }

            Commit(temp, full, dir);
        }
        finally
        {
            DeleteIfPresent(temp);
        }
    }

    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/> atomically; the callback may also read back what
    /// it wrote (the stream is read-write) and throw to abandon the write, leaving any existing file untouched.
    /// </summary>
    public static async Task WriteAsync(string path, Func<FileStream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        string temp = Prepare(path, out string full, out string dir);
        try
        {
            var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: true);
            await using (file.ConfigureAwait(false))
            {
                await write(file, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            Commit(temp, full, dir);
        }
        finally
        {
            DeleteIfPresent(temp);
        }
    }

    private static string Prepare(string path, out string full, out string dir)
    {
        full = Path.GetFullPath(path);
        dir = Path.GetDirectoryName(full) ?? ".";
        string name = Path.GetFileName(full);
        if (name.Length == 0)
        {
            ThrowHelper.Argument(nameof(path), $"'{path}' names a directory, not a file.");
        }

        if (Directory.Exists(full))
        {
            ThrowHelper.Argument(nameof(path), $"'{path}' is a directory.");
        }

        Directory.CreateDirectory(dir);
        RemoveStaleTemporaries(dir, name);
        return Path.Combine(dir, TempPrefix(name) + Guid.NewGuid().ToString("N") + ".tmp");
    }

    private static void Commit(string temp, string full, string dir)
    {
        File.Move(temp, full, overwrite: true);
        FlushDirectory(dir);
    }

    private static void DeleteIfPresent(string temp)
    {
        if (File.Exists(temp))
        {
            File.Delete(temp);
        }
    }

    /// <summary>The name prefix of every temporary file written for target <paramref name="name"/>.</summary>
    internal static string TempPrefix(string name) => "." + name + ".";

    /// <summary>
    /// Deletes the temporary files of earlier writes to the same target whose writer is gone. A live writer holds its
    /// file open with <see cref="FileShare.None"/> (an exclusive lock on Unix too), so opening it fails and it is kept.
    /// </summary>
    private static void RemoveStaleTemporaries(string dir, string name)
    {
        string prefix = TempPrefix(name);
        string[] candidates;
        try
        {
            candidates = Directory.GetFiles(dir, prefix + "*.tmp");
        }
        catch (IOException)
        {
            return;
        }
        catch (UnauthorizedAccessException)
        {
            return;
        }

        foreach (string candidate in candidates)
        {
            // The pattern also matches longer target names ("a.bin" vs "a.bin.old"); only ours is prefix + 32 hex + ".tmp".
            string file = Path.GetFileName(candidate);
            if (file.Length != prefix.Length + 32 + 4 || !IsHex(file.AsSpan(prefix.Length, 32)))
            {
                continue;
            }

            try
            {
                using var stale = new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException)
            {
                // In use by a live writer (or already gone): leave it.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>fsync(2) on the directory (POSIX), so the rename is durable; best effort elsewhere.</summary>
    private static void FlushDirectory(string dir)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()))
        {
            // Windows flushes the rename with the file's metadata; the browser has no durable directories.
            return;
        }

        try
        {
            byte[] utf8 = new byte[System.Text.Encoding.UTF8.GetByteCount(dir) + 1];
            System.Text.Encoding.UTF8.GetBytes(dir, utf8);
            int fd = OperatingSystem.IsLinux() ? LinuxOpen(utf8, 0) : BsdOpen(utf8, 0);
            if (fd >= 0)
            {
                _ = OperatingSystem.IsLinux() ? LinuxFsync(fd) : BsdFsync(fd);
                _ = OperatingSystem.IsLinux() ? LinuxClose(fd) : BsdClose(fd);
            }
        }
        catch (DllNotFoundException)
        {
        }
        catch (EntryPointNotFoundException)
        {
        }
    }

    [DllImport("libc.so.6", EntryPoint = "open")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int LinuxOpen([In] byte[] path, int flags);

    [DllImport("libc.so.6", EntryPoint = "fsync")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int LinuxFsync(int fd);

    [DllImport("libc.so.6", EntryPoint = "close")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int LinuxClose(int fd);

    [DllImport("libc", EntryPoint = "open")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int BsdOpen([In] byte[] path, int flags);

    [DllImport("libc", EntryPoint = "fsync")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int BsdFsync(int fd);

    [DllImport("libc", EntryPoint = "close")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int BsdClose(int fd);
}
