using System;
using System.IO;

namespace ConvNet.Samples.LeNet5;

/// <summary>Checks an output path before training, so a typo does not cost the trained model at the end.</summary>
internal static class OutputPaths
{
    /// <summary>
    /// Throws a <see cref="UsageException"/> naming <paramref name="flag"/> unless <paramref name="file"/> is a file path
    /// (not an existing directory) in an existing directory that accepts a new file (probed by creating and deleting one).
    /// </summary>
    /// <returns>The full path.</returns>
    public static string Check(string flag, FileInfo file)
    {
        string full = file.FullName;
        if (Directory.Exists(full) || full.EndsWith(Path.DirectorySeparatorChar) || full.EndsWith(Path.AltDirectorySeparatorChar))
        {
            throw new UsageException($"{flag} '{full}' is a directory; give the path of a file to write");
        }

        string dir = Path.GetDirectoryName(full) ?? full;
        if (!Directory.Exists(dir))
        {
            throw new UsageException($"{flag} '{full}': the directory '{dir}' does not exist");
        }

        string probe = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.probe");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{flag} '{full}': cannot write to the directory '{dir}' ({e.Message})");
        }
        finally
        {
            // DeleteOnClose already removed it; this covers file systems that ignore the flag.
            try
            {
                File.Delete(probe);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }

        return full;
    }
}
