using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using ConvNet.Data;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Robustness;

/// <summary>
/// Structure-aware fuzzing of the IDX readers: every file has the right layout (magic, big-endian dimensions, data,
/// raw or gzip with a valid stream) but its dimensions are drawn from hostile values — zero, negative, int.MaxValue,
/// products that wrap 2^32, sizes at the budget's edge — and its data is exact, short or long, and a gzip file may carry
/// a forged ISIZE trailer. A plain model of the format predicts each outcome: the readers must return exactly the data
/// or raise <see cref="InvalidDataException"/>, and never allocate more than the decode budget allows.
/// </summary>
public class IdxFuzzTests
{
    private static readonly int[] Hostile =
    [
        0, 1, 2, 3, 7, 28, 255, 256, 4_096, 65_535, 65_536, 1 << 20, int.MaxValue, -1, int.MinValue,
    ];

    [Fact]
    public void Two_thousand_well_formed_files_with_hostile_dimensions_match_the_model_of_the_format()
    {
        var rng = new Random(2051);
        int loaded = 0, rejected = 0;
        for (int i = 0; i < 2000; i++)
        {
            bool images = rng.Next(3) > 0;
            bool gzip = rng.Next(2) == 0;
            int count = Pick(rng), rows = images ? Pick(rng) : 1, cols = images ? Pick(rng) : 1;
            long budget = rng.Next(4) switch { 0 => 64, 1 => 4_096, 2 => 1 << 16, _ => IdxReader.DefaultMaxDecodedBytes };
            int headerBytes = images ? 16 : 8;

            // The data actually present: the declared amount when it is small, else a little; then one byte short or long.
            long declared = count >= 0 && rows > 0 && cols > 0 ? (long)count * rows * cols : -1;
            int present = declared is >= 0 and <= 20_000 ? (int)declared : rng.Next(0, 2_000);
            present = Math.Max(0, present + (rng.Next(4) switch { 0 => -1, 1 => 1, _ => 0 }));

            var raw = new byte[headerBytes + present];
            BinaryPrimitives.WriteInt32BigEndian(raw, images ? IdxReader.ImageMagic : IdxReader.LabelMagic);
            BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(4), count);
            if (images)
            {
                BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(8), rows);
                BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(12), cols);
            }

            rng.NextBytes(raw.AsSpan(headerBytes));
            var file = gzip ? Gzip(raw, forgeSize: rng.Next(3) == 0 ? headerBytes + declared : null) : raw;

            // A forged trailer may or may not be noticed (the reader stops at the declared data); either outcome is fine.
            // One image larger than the budget is refused even when the file holds none.
            bool valid = declared >= 0 && declared + headerBytes <= budget && present >= declared && (long)rows * cols <= budget;
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                byte[] data = images
                    ? IdxReader.ReadImages(new MemoryStream(file), budget).Pixels
                    : IdxReader.ReadLabels(new MemoryStream(file), budget);
                valid.Should().BeTrue($"case {i} ({count} x {rows} x {cols}, {present} bytes present, budget {budget}, gzip {gzip}) is invalid and must be refused");
                data.AsSpan().SequenceEqual(raw.AsSpan(headerBytes, (int)declared)).Should().BeTrue($"case {i} returns exactly the declared data");
                loaded++;
            }
            catch (InvalidDataException e)
            {
                if (valid && !(gzip && Forged(file, raw.Length)))
                {
                    throw new InvalidOperationException($"case {i} ({count} x {rows} x {cols}, {present} bytes present, budget {budget}) is valid but was refused: {e.Message}", e);
                }

                rejected++;
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"case {i} ({count} x {rows} x {cols}, budget {budget}, gzip {gzip}) raised {e.GetType().Name}: {e.Message}", e);
            }

            (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan((4 * budget) + (1 << 20) + (8L * file.Length),
                $"case {i} ({count} x {rows} x {cols}, budget {budget}) stays within the decode budget");
        }

        loaded.Should().BeGreaterThan(200);
        rejected.Should().BeGreaterThan(200);
    }

    private static int Pick(Random rng) => rng.Next(3) == 0 ? rng.Next(0, 40) : Hostile[rng.Next(Hostile.Length)];

    /// <summary>Whether the gzip trailer's ISIZE was forged (differs from the real decoded length).</summary>
    private static bool Forged(byte[] gz, int realLength) => BinaryPrimitives.ReadUInt32LittleEndian(gz.AsSpan(gz.Length - 4)) != (uint)realLength;

    private static byte[] Gzip(byte[] raw, long? forgeSize)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(raw);
        }

        var bytes = ms.ToArray();
        if (forgeSize is long size && size >= 0)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), unchecked((uint)size));
        }

        return bytes;
    }
}
