using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace ConvNet.Bench.Torch;

/// <summary>
/// Makes TorchSharp 0.107.0's libLibTorchSharp.so load on a system libstdc++ older than GCC 13 (e.g. Debian 12).
/// </summary>
/// <remarks>
/// libLibTorchSharp.so is built with GCC ≥ 13 and so requires the symbol version GLIBCXX_3.4.32 only for
/// <c>std::ios_base_library_init()</c>, which GCC 13's &lt;iostream&gt; names with a bare <c>.globl</c> (no relocation
/// uses it; libtorch's own static initializers set up the standard streams). glibc refuses the library at load time
/// ("version `GLIBCXX_3.4.32' not found") although nothing ever binds to the symbol. When — and only when — loading
/// fails for that reason, this marks that one version requirement VER_FLG_WEAK in the copy in this program's build
/// output (bin/…/runtimes/linux-x64/native), which glibc then accepts. Nothing outside the build output is touched; on a
/// system with a current libstdc++ the library loads as shipped and this does nothing.
/// </remarks>
internal static class NativeCompat
{
    private const string MissingVersion = "GLIBCXX_3.4.32";
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>Preloads libLibTorchSharp.so (patching the build-output copy if needed); returns a note for the log or null.</summary>
    public static string? EnsureLibTorchSharpLoads()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        string path = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(path))
        {
            return null; // Let TorchSharp's own probing report what is missing.
        }

        try
        {
            NativeLibrary.Load(path);
            return null;
        }
        catch (DllNotFoundException e) when (e.Message.Contains(MissingVersion, StringComparison.Ordinal))
        {
            if (!MarkVersionWeak(path, MissingVersion))
            {
                throw;
            }

            NativeLibrary.Load(path);
            return $"system libstdc++ lacks {MissingVersion}: marked that (unused) version requirement weak in {path}";
        }
    }

    /// <summary>Sets VER_FLG_WEAK on the ELF64 verneed auxiliary entry named <paramref name="version"/>.</summary>
    private static bool MarkVersionWeak(string path, string version)
    {
        byte[] b = File.ReadAllBytes(path);
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F' || b[4] != 2 || b[5] != 1)
        {
            return false; // not little-endian ELF64
        }

        long shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(0x28));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3A));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3C));
        bool patched = false;
        for (int s = 0; s < shnum; s++)
        {
            var sh = b.AsSpan((int)(shoff + ((long)s * shentsize)));
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed)
            {
                continue;
            }

            long offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(sh[24..]);
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[40..]);
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[44..]);
            var strtab = b.AsSpan((int)(shoff + ((long)link * shentsize)));
            long strOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(strtab[24..]);

            long vn = offset;
            for (int i = 0; i < count; i++)
            {
                int cnt = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan((int)vn + 2));
                long vna = vn + BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)vn + 8));
                for (int j = 0; j < cnt; j++)
                {
                    long name = strOffset + BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)vna + 8));
                    int end = Array.IndexOf(b, (byte)0, (int)name);
                    if (Encoding.ASCII.GetString(b, (int)name, end - (int)name) == version)
                    {
                        var flags = b.AsSpan((int)vna + 4, 2);
                        BinaryPrimitives.WriteUInt16LittleEndian(flags, (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(flags) | VerFlgWeak));
                        patched = true;
                    }

                    vna += BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)vna + 12));
                }

                vn += BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)vn + 12));
            }
        }

        if (patched)
        {
            File.WriteAllBytes(path, b);
        }

        return patched;
    }
}
