using System;
using System.Buffers.Binary;
using System.IO;
using ConvNet.Data;

namespace ConvNet.Samples.Browser.Data;

/// <summary>
/// A compact set of 28×28 grayscale images with labels, the format of the sample's image assets
/// (<c>wwwroot/data/*.cnis</c>): the magic "CNIS", then little-endian int32 count, rows and cols, then count label bytes,
/// then count·rows·cols pixel bytes (0–255, row-major). Pixels become floats exactly as <see cref="FashionMnist"/> scales
/// them (value / 255), so a prediction here is bit-identical to one on the IDX files.
/// </summary>
public sealed class ImageSet
{
    private static readonly byte[] Magic = "CNIS"u8.ToArray();

    /// <summary>Creates a set from raw bytes.</summary>
    /// <param name="labels">One class index per image.</param>
    /// <param name="pixels">labels.Length · rows · cols bytes.</param>
    /// <param name="rows">Image height.</param>
    /// <param name="cols">Image width.</param>
    public ImageSet(byte[] labels, byte[] pixels, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(pixels);
        if (rows <= 0 || cols <= 0 || pixels.Length != (long)labels.Length * rows * cols)
        {
            throw new ArgumentException($"{labels.Length} images of {rows}×{cols} need {(long)labels.Length * rows * cols} pixel bytes; got {pixels.Length}.");
        }

        Labels = labels;
        Pixels = pixels;
        Rows = rows;
        Cols = cols;
    }

    /// <summary>The number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Image height.</summary>
    public int Rows { get; }

    /// <summary>Image width.</summary>
    public int Cols { get; }

    /// <summary>Pixels per image.</summary>
    public int ImageSize => Rows * Cols;

    /// <summary>The class of every image.</summary>
    public byte[] Labels { get; }

    /// <summary>All pixels, image after image.</summary>
    public byte[] Pixels { get; }

    /// <summary>The pixels of one image.</summary>
    /// <param name="index">0..Count−1.</param>
    /// <returns>Its bytes.</returns>
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * ImageSize, ImageSize);

    /// <summary>Pixels of one image as the network's input values (value / 255).</summary>
    /// <param name="index">0..Count−1.</param>
    /// <returns>ImageSize floats in [0, 1].</returns>
    public float[] Sample(int index) => Scale(Image(index));

    /// <summary>Bytes (0–255) to network input values, value / 255 as the IDX reader does.</summary>
    /// <param name="pixels">The bytes.</param>
    /// <returns>The floats.</returns>
    public static float[] Scale(ReadOnlySpan<byte> pixels)
    {
        var x = new float[pixels.Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = pixels[i] / 255f;
        }

        return x;
    }

    /// <summary>The whole set as a <see cref="Dataset"/> of [1, rows, cols] samples and 10 classes.</summary>
    /// <returns>The dataset.</returns>
    public Dataset ToDataset() => new(Scale(Pixels), Array.ConvertAll(Labels, b => (int)b), [1, Rows, Cols], 10);

    /// <summary>Takes the first <paramref name="count"/> images of a dataset whose pixels are k / 255.</summary>
    /// <param name="data">A dataset of [1, rows, cols] samples.</param>
    /// <param name="count">How many images.</param>
    /// <returns>The set.</returns>
    public static ImageSet FromDataset(Dataset data, int count)
    {
        ArgumentNullException.ThrowIfNull(data);
        int rows = data.SampleShape[^2], cols = data.SampleShape[^1], size = rows * cols;
        var labels = new byte[count];
        var pixels = new byte[count * size];
        for (int i = 0; i < count; i++)
        {
            labels[i] = checked((byte)data.Labels[i]);
            var s = data.Sample(i);
            for (int p = 0; p < size; p++)
            {
                pixels[i * size + p] = (byte)MathF.Round(s[p] * 255f);
            }
        }

        return new ImageSet(labels, pixels, rows, cols);
    }

    /// <summary>Reads the format described on the type.</summary>
    /// <param name="bytes">The file's bytes.</param>
    /// <returns>The set.</returns>
    public static ImageSet Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 16 || !bytes[..4].SequenceEqual(Magic))
        {
            throw new InvalidDataException("Not an image set (no CNIS header).");
        }

        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]), rows = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        int cols = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        long need = 16L + count + (long)count * rows * cols;
        if (count < 0 || rows <= 0 || cols <= 0 || rows > 1024 || cols > 1024 || bytes.Length != need)
        {
            throw new InvalidDataException($"Image set header says {count} images of {rows}×{cols} ({need} bytes); the file has {bytes.Length}.");
        }

        return new ImageSet(bytes.Slice(16, count).ToArray(), bytes[(16 + count)..].ToArray(), rows, cols);
    }

    /// <summary>Writes the format described on the type.</summary>
    /// <param name="stream">The destination.</param>
    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(Magic);
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(header, Count);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], Rows);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Cols);
        stream.Write(header);
        stream.Write(Labels);
        stream.Write(Pixels);
    }
}
