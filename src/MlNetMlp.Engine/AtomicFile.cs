using System;
using System.IO;

namespace MlNetMlp.Engine;

/// <summary>
/// Writes a file atomically, for the engine's model files and the adapter's pipeline files alike: the bytes go to a
/// temporary file in the target's folder, which is flushed to disk and then moved over the target. A file already at
/// the target is replaced only by a complete new one. The temporary name does not grow with the target's name
/// (<see cref="TemporaryPrefix"/>, 8 random hex digits, <see cref="TemporarySuffix"/>: 27 characters), so every
/// valid file name can be saved. After a failure the temporary file is removed, and a failing removal never hides
/// the error that caused it. A process killed mid-save leaves its temporary file behind; such files are recognised
/// by their fixed prefix and removed by the next save into the same folder once they are
/// <see cref="StaleAfter"/> old (a younger one may belong to a save still running in another process).
/// </summary>
internal static class AtomicFile
{
    /// <summary>How every temporary file's name starts.</summary>
    public const string TemporaryPrefix = ".mlnetmlp-save-";

    /// <summary>How every temporary file's name ends.</summary>
    public const string TemporarySuffix = ".tmp";

    /// <summary>Age from which a leftover temporary file is taken to be from a killed save and removed.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(24);

    private const int BufferSize = 1 << 16;

    /// <summary>
    /// Writes <paramref name="path"/> with <paramref name="write"/>; <paramref name="wrapForTesting"/> wraps the
    /// temporary file's stream (tests inject failures with it).
    /// </summary>
    public static void Write(string path, string parameterName, Action<Stream> write, Func<Stream, Stream>? wrapForTesting = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path, parameterName);
        ArgumentNullException.ThrowIfNull(write);
        string fullPath = Path.GetFullPath(path);
        string fileName = Path.GetFileName(fullPath);
        string? directory = Path.GetDirectoryName(fullPath);
        if (fileName.Length == 0 || directory is null)
        {
            throw new ArgumentException($"'{path}' names a folder, not a file.", parameterName);
        }

        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Cannot save '{fullPath}': the folder '{directory}' does not exist.");
        }

        RemoveStale(directory);
        string temporary = TemporaryPath(directory);
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize))
            {
                Stream target = wrapForTesting?.Invoke(file) ?? file;
                write(target);
                target.Flush();
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>A new temporary file name in <paramref name="directory"/>, of the form the next save's clean-up recognises.</summary>
    public static string TemporaryPath(string directory) => Path.Combine(directory, $"{TemporaryPrefix}{Random.Shared.Next():x8}{TemporarySuffix}");

    /// <summary>Removes temporary files of this writer in <paramref name="directory"/> older than <see cref="StaleAfter"/>; never throws.</summary>
    private static void RemoveStale(string directory)
    {
        try
        {
            DateTime cutoff = DateTime.UtcNow - StaleAfter;
            foreach (string file in Directory.EnumerateFiles(directory, TemporaryPrefix + "*" + TemporarySuffix))
            {
                if (File.GetLastWriteTimeUtc(file) < cutoff)
                {
                    TryDelete(file);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Deletes <paramref name="path"/> if it can; never throws, so a failing removal cannot hide the error that led to it.</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
