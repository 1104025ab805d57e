using System;
using System.IO;
using System.IO.Compression;
using ConvNet.Data;
using ConvNet.Layers;
using ConvNet.Optimizers;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Robustness;

/// <summary>
/// Seeded mutation fuzzing of the two file readers: every mutated file either loads or raises
/// <see cref="InvalidDataException"/> — never another exception, a hang or a large allocation.
/// </summary>
public class FuzzTests
{
    private static byte[] SmallModel()
    {
        var net = new Network(1, 6, 6)
            .Add(new Conv2D(1, 3, 3, padding: Padding.Same, connections: ConnectionTable.FromSets(1, [new[] { 0 }, new[] { 0 }, new[] { 0 }])))
            .Add(new ReLU()).Add(new MaxPool2D(2)).Add(new Flatten()).Add(new FullyConnected(27, 4));
        var sgd = new Sgd(0.1, 0.9);
        foreach (var p in net.Parameters)
        {
            sgd.State(p);
        }

        var ms = new MemoryStream();
        ModelSerializer.Save(net, ms, sgd, 2, 3, 7);
        return ms.ToArray();
    }

    private static byte[] SmallIdx(bool gzip)
    {
        var raw = new byte[16 + (3 * 4 * 4)];
        raw[2] = 8;
        raw[3] = 3;
        raw[7] = 3;
        raw[11] = 4;
        raw[15] = 4;
        if (!gzip)
        {
            return raw;
        }

        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(raw);
        }

        return ms.ToArray();
    }

    private static byte[] Mutate(byte[] original, Random rng)
    {
        var b = (byte[])original.Clone();
        switch (rng.Next(7))
        {
            case 0: // flip bits
                for (int i = 0, n = rng.Next(1, 5); i < n; i++)
                {
                    b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                }

                return b;
            case 1: // truncate
                return b[..rng.Next(b.Length)];
            case 2: // overwrite a run with random bytes
                {
                    int at = rng.Next(b.Length), len = Math.Min(rng.Next(1, 16), b.Length - at);
                    rng.NextBytes(b.AsSpan(at, len));
                    return b;
                }

            case 3: // overwrite the first 8 bytes (length prefix / magic) with extreme values
                BitConverter.TryWriteBytes(b.AsSpan(0, Math.Min(8, b.Length)), rng.Next(2) == 0 ? long.MaxValue : rng.NextInt64());
                return b;
            case 4: // replace a digit in the header with a large number
                {
                    int at = Array.FindIndex(b, rng.Next(Math.Min(b.Length, 600)), x => x is >= (byte)'0' and <= (byte)'9');
                    if (at < 0)
                    {
                        return b;
                    }

                    var digits = System.Text.Encoding.ASCII.GetBytes(rng.Next(2) == 0 ? "999999999" : "65536");
                    var r = new byte[b.Length + digits.Length - 1];
                    b.AsSpan(0, at).CopyTo(r);
                    digits.CopyTo(r, at);
                    b.AsSpan(at + 1).CopyTo(r.AsSpan(at + digits.Length));
                    return r;
                }

            case 5: // duplicate a chunk
                {
                    int at = rng.Next(b.Length), len = Math.Min(rng.Next(1, 64), b.Length - at);
                    var r = new byte[b.Length + len];
                    b.AsSpan(0, at + len).CopyTo(r);
                    b.AsSpan(at).CopyTo(r.AsSpan(at + len));
                    return r;
                }

            default: // a single random byte anywhere
                b[rng.Next(b.Length)] = (byte)rng.Next(256);
                return b;
        }
    }

    [Fact]
    public void Ten_thousand_mutated_model_files_load_or_raise_InvalidDataException()
    {
        var original = SmallModel();
        ModelSerializer.LoadCheckpoint(new MemoryStream(original)).CompletedBatches.Should().Be(3);
        var rng = new Random(20261128);
        long allocatedBefore = GC.GetTotalAllocatedBytes();
        int rejected = 0;
        for (int i = 0; i < 10_000; i++)
        {
            var bytes = Mutate(original, rng);
            try
            {
                ModelSerializer.LoadCheckpoint(new MemoryStream(bytes));
            }
            catch (InvalidDataException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"Mutation {i} raised {e.GetType().Name}: {e.Message}", e);
            }
        }

        rejected.Should().BeGreaterThan(9000);
        (GC.GetTotalAllocatedBytes() - allocatedBefore).Should().BeLessThan(4L << 30, "no mutation makes the loader allocate gigabytes");
    }

    [Fact]
    public void Ten_thousand_mutated_idx_files_load_or_raise_InvalidDataException()
    {
        var raw = SmallIdx(gzip: false);
        var gz = SmallIdx(gzip: true);
        var rng = new Random(1128);
        int rejected = 0;
        for (int i = 0; i < 10_000; i++)
        {
            var bytes = Mutate(i % 2 == 0 ? raw : gz, rng);
            try
            {
                if (i % 4 < 2)
                {
                    IdxReader.ReadImages(new MemoryStream(bytes));
                }
                else
                {
                    IdxReader.ReadLabels(new MemoryStream(bytes));
                }
            }
            catch (InvalidDataException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"Mutation {i} raised {e.GetType().Name}: {e.Message}", e);
            }
        }

        rejected.Should().BeGreaterThan(5000);
    }
}
