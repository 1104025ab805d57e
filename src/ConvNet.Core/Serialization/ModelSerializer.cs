using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using ConvNet.Optimizers;

namespace ConvNet.Serialization;

/// <summary>
/// Saves and loads a network — architecture and weights, optionally the optimizer state for resuming — as one
/// <a href="https://github.com/huggingface/safetensors">safetensors</a> file: an 8-byte little-endian header length, a
/// JSON header naming every tensor (dtype F32, shape, byte offsets), then the little-endian float32 data. The
/// architecture, the optimizer settings, the completed epochs and a SHA-256 of the data section live in the header's
/// <c>__metadata__</c>, so Python's <c>safetensors</c> reads our weights directly (names <c>layers.{i}.weight</c>,
/// <c>layers.{i}.bias</c>, and <c>optimizer.{state}.layers.{i}.{param}</c>).
/// Files are written atomically (temporary file, flush to disk, rename, flush the directory) from a snapshot taken
/// under the network's lock, and read strictly in bounded memory (prefix and header first, then the data streamed
/// into the tensors): any truncated, oversized, inconsistent or non-finite content raises <see cref="InvalidDataException"/>.
/// </summary>
public static class ModelSerializer
{
    /// <summary>The largest file accepted (1 GiB).</summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>The largest JSON header accepted (16 MiB).</summary>
    public const int MaxHeaderBytes = 16 << 20;

    /// <summary>The first format (chains of built-in layers, no buffers): still read.</summary>
    internal const string FormatV1 = "convnet.safetensors/1";

    /// <summary>Saves the network (and optionally the optimizer state) to <paramref name="path"/> atomically.</summary>
    /// <param name="network">The network.</param>
    /// <param name="path">The destination file; replaced only once the new file is complete on disk.</param>
    /// <param name="optimizer">The optimizer whose state to include, or null.</param>
    /// <param name="completedEpochs">Epochs completed (for resuming).</param>
    /// <param name="completedBatches">Batches completed in the next epoch (for resuming mid-epoch).</param>
    /// <param name="seed">The training seed (recorded for resuming).</param>
    public static void Save(Network network, string path, Optimizer? optimizer = null, int completedEpochs = 0, int completedBatches = 0, int seed = 0) =>
        Save(network, path, optimizer, new Position(completedEpochs, completedBatches, seed), static s => s);

    /// <summary>Writes the network to a stream (not atomic: the caller owns the stream).</summary>
    /// <param name="network">The network.</param>
    /// <param name="stream">A writable stream.</param>
    /// <param name="optimizer">The optimizer whose state to include, or null.</param>
    /// <param name="completedEpochs">Epochs completed.</param>
    /// <param name="completedBatches">Batches completed in the next epoch.</param>
    /// <param name="seed">The training seed.</param>
    public static void Save(Network network, Stream stream, Optimizer? optimizer = null, int completedEpochs = 0, int completedBatches = 0, int seed = 0)
    {
        ThrowHelper.NotNull(network, nameof(network));
        ThrowHelper.NotNull(stream, nameof(stream));
        SafetensorsWriter.Snapshot(network, optimizer, new Position(completedEpochs, completedBatches, seed))(stream);
    }

    /// <summary>Loads a network saved by <see cref="Save(Network, string, Optimizer?, int, int, int)"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The network, predicting bit-for-bit like the one saved.</returns>
    public static Network Load(string path) => LoadCheckpoint(path).Network;

    /// <summary>
    /// Copies the weights and state buffers of a model file into an existing network, matched by name
    /// (<c>layers.2.weight</c>, …) — PyTorch's <c>load_state_dict</c>. Strict (the default): the names must be the
    /// same on both sides; otherwise names only one side has are left alone and listed in the result. Shapes must agree
    /// for every shared name. Nothing is copied unless everything fits. The file is read with the same checks and bounds
    /// as <see cref="Load(string)"/> (its network is built, then copied from).
    /// </summary>
    /// <param name="network">The network to fill.</param>
    /// <param name="path">A model file or checkpoint.</param>
    /// <param name="strict">Require the same names on both sides (default true).</param>
    /// <returns>The names left alone.</returns>
    /// <exception cref="InvalidDataException">The file is malformed, or does not fit the network.</exception>
    public static WeightLoadResult LoadWeights(Network network, string path, bool strict = true)
    {
        ThrowHelper.NotNull(network, nameof(network));
        return WeightLoader.Copy(Load(path), network, strict);
    }

    /// <summary>Loads a network, and the optimizer state if the file has one.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The checkpoint.</returns>
    public static Checkpoint LoadCheckpoint(string path)
    {
        ThrowHelper.NotNull(path, nameof(path));
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return LoadCheckpoint(stream);
    }

    /// <summary>Loads a network and optional optimizer state from a stream.</summary>
    /// <param name="stream">A readable stream.</param>
    /// <returns>The checkpoint.</returns>
    public static Checkpoint LoadCheckpoint(Stream stream)
    {
        ThrowHelper.NotNull(stream, nameof(stream));
        try
        {
            return SafetensorsReader.Read(stream);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException or OverflowException or ArgumentException or DecoderFallbackException)
        {
            // A hostile header can still be malformed in ways the checks above do not name (e.g. invalid UTF-8 inside a
            // string); whatever it is, it is bad data, not a bug of the caller.
            throw new InvalidDataException("The model file is malformed: " + e.Message, e);
        }
    }

    internal static void Save(Network network, string path, Optimizer? optimizer, Position position, Func<Stream, Stream> wrap)
    {
        ThrowHelper.NotNull(network, nameof(network));
        ThrowHelper.NotNull(path, nameof(path));
        var write = SafetensorsWriter.Snapshot(network, optimizer, position);
        AtomicFile.Write(path, file => write(wrap(file)));
    }

    /// <summary>A checkpoint's position, and optionally the settings of the run it belongs to.</summary>
    internal readonly record struct Position(int Epochs, int Batches, int Seed, TrainingRun? Run = null);
}
