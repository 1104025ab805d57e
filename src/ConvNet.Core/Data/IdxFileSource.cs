using System;
using System.Buffers.Binary;
using System.IO;
using Microsoft.Win32.SafeHandles;

namespace ConvNet.Data;

/// <summary>
/// A streaming data source over uncompressed MNIST-format IDX files: the labels (one byte per sample) are read once,
/// the images are read from disk batch by batch (pixel / 255 as [1, rows, cols] samples), so memory does not grow with
/// the data set. Gzipped files cannot be read at random positions: decompress them first (or use
/// <see cref="Dataset.LoadIdx"/>). Dispose it to close the image file.
/// </summary>
public sealed class IdxFileSource : DataSource, IDisposable
{
    private const int HeaderBytes = 16;
    private readonly SafeFileHandle _images;
    private readonly byte[] _labels;
    private readonly int[] _shape;
    private readonly int _imageBytes;
    private byte[] _buffer = [];

    /// <summary>Opens the files and checks their headers and lengths.</summary>
    /// <param name="imagesPath">The uncompressed IDX image file (magic 2051).</param>
    /// <param name="labelsPath">The IDX label file (magic 2049; raw or .gz).</param>
    /// <param name="classes">K; every label must be below it.</param>
    /// <exception cref="InvalidDataException">A header is malformed, the file is shorter than its header says, the counts
    /// differ or a label is ≥ K.</exception>
    public IdxFileSource(string imagesPath, string labelsPath, int classes = 10)
    {
        ThrowHelper.NotNull(imagesPath, nameof(imagesPath));
        ThrowHelper.NotNull(labelsPath, nameof(labelsPath));
        ThrowHelper.Positive(classes, nameof(classes));
        _labels = IdxReader.ReadLabels(labelsPath);
        foreach (byte l in _labels)
        {
            if (l >= classes)
            {
                ThrowHelper.InvalidData($"Label {l} is outside 0..{classes - 1}.");
            }
        }

        _images = File.OpenHandle(imagesPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            Span<byte> header = stackalloc byte[HeaderBytes];
            if (RandomAccess.Read(_images, header, 0) != HeaderBytes || BinaryPrimitives.ReadInt32BigEndian(header) != IdxReader.ImageMagic)
            {
                ThrowHelper.InvalidData($"'{imagesPath}' is not an uncompressed IDX image file (magic {IdxReader.ImageMagic}); decompress a .gz file first.");
            }

            int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
            int rows = BinaryPrimitives.ReadInt32BigEndian(header[8..]), cols = BinaryPrimitives.ReadInt32BigEndian(header[12..]);
            long imageBytes = (long)rows * cols;
            if (count != _labels.Length || rows <= 0 || cols <= 0 || imageBytes > 1 << 24)
            {
                ThrowHelper.InvalidData($"The image file holds {count} images of {rows} x {cols}; the label file {_labels.Length} labels (counts must agree; images at most 2^24 pixels).");
            }

            if (RandomAccess.GetLength(_images) < HeaderBytes + (imageBytes * count))
            {
                ThrowHelper.InvalidData($"The image file is shorter than its header's {count} images of {rows} x {cols}.");
            }

            _imageBytes = (int)imageBytes;
            _shape = [1, rows, cols];
            Classes = classes;
        }
        catch
        {
            _images.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public override int Count => _labels.Length;

    /// <inheritdoc/>
    public override ReadOnlySpan<int> SampleShape => _shape;

    /// <inheritdoc/>
    public override int Classes { get; }

    /// <summary>Closes the image file.</summary>
    public void Dispose() => _images.Dispose();

    /// <inheritdoc/>
    protected override void CopyBatchCore(ReadOnlySpan<int> indices, Tensor batch, Span<int> labels, Tensor? targets, int epoch)
    {
        if (_buffer.Length < _imageBytes)
        {
            _buffer = new byte[_imageBytes];
        }

        Span<float> dst = batch.AsSpan();
        Span<byte> pixels = _buffer.AsSpan(0, _imageBytes);
        for (int i = 0; i < indices.Length; i++)
        {
            int idx = indices[i];
            if (RandomAccess.Read(_images, pixels, HeaderBytes + ((long)idx * _imageBytes)) != _imageBytes)
            {
                ThrowHelper.InvalidData($"The image file ended before image {idx} (was it truncated while open?).");
            }

            var row = dst.Slice(i * _imageBytes, _imageBytes);
            for (int p = 0; p < pixels.Length; p++)
            {
                row[p] = pixels[p] / 255f;
            }

            labels[i] = _labels[idx];
        }
    }
}
