using System;
using System.Buffers.Binary;
using System.IO;
using System.Threading;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using ConvNet.Optimizers;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Serialization;

/// <summary>
/// What loading and saving may cost and what they promise under concurrency: the loader looks at the prefix and the
/// header before reading anything else and streams the data into the tensors; Save refuses non-finite weights before
/// touching the old file, snapshots under the network's lock, and removes temporaries killed saves left behind.
/// </summary>
public sealed class SerializerBoundsTests : IDisposable
{
    private readonly TempDirectory _temp = new("bounds");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData(0UL)]
    [InlineData((ulong)ModelSerializer.MaxHeaderBytes + 1)]
    public void A_huge_file_with_a_bad_prefix_is_rejected_without_reading_it(ulong headerLength)
    {
        var stream = new ZeroStream(900L << 20, headerLength);
        long before = GC.GetAllocatedBytesForCurrentThread();
        FluentActions.Invoking(() => ModelSerializer.LoadCheckpoint(stream)).Should().Throw<InvalidDataException>();
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(1 << 20);
        stream.BytesRead.Should().Be(8, "only the prefix is read");
    }

    [Fact]
    public void A_huge_file_whose_header_is_not_json_costs_at_most_the_header()
    {
        var stream = new ZeroStream(900L << 20, 4096);
        long before = GC.GetAllocatedBytesForCurrentThread();
        FluentActions.Invoking(() => ModelSerializer.LoadCheckpoint(stream)).Should().Throw<InvalidDataException>();
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(1 << 20);
        stream.BytesRead.Should().Be(8 + 4096);
    }

    [Fact]
    public void Loading_a_model_allocates_about_the_model_itself()
    {
        // 4 M weights = 16 MB of data. The loaded network holds its weights (gradients come with the first backward);
        // reading costs a 64 KiB buffer on top, not copies of the file.
        var net = new Network(2048).Add(new FullyConnected(2048, 2048));
        string path = _temp.File("big.safetensors");
        ModelSerializer.Save(net, path);
        long modelBytes = 4L * 2048 * (2048 + 1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var loaded = ModelSerializer.Load(path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        allocated.Should().BeLessThan(modelBytes + (modelBytes / 8) + (2 << 20));
        loaded.Parameters[0].Value.AsSpan().SequenceEqual(net.Parameters[0].Value.AsSpan()).Should().BeTrue();
    }

    [Fact]
    public void Saving_a_model_with_a_NaN_weight_fails_and_keeps_the_previous_file()
    {
        var net = new Network(3).Add(new FullyConnected(3, 2));
        string path = _temp.File("m.safetensors");
        ModelSerializer.Save(net, path);
        var good = File.ReadAllBytes(path);
        net.Parameters[0].Value.AsSpan()[4] = float.NaN;
        FluentActions.Invoking(() => ModelSerializer.Save(net, path)).Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("layers.0.weight").And.Contain("NaN");
        File.ReadAllBytes(path).Should().Equal(good);
        Directory.GetFiles(_temp.Path).Should().HaveCount(1);
    }

    [Fact]
    public void Saving_optimizer_state_with_an_infinity_fails()
    {
        var net = new Network(3).Add(new FullyConnected(3, 2));
        var sgd = new Sgd(0.1, 0.9);
        sgd.State(net.Parameters[1])[0][1] = float.PositiveInfinity;
        FluentActions.Invoking(() => ModelSerializer.Save(net, new MemoryStream(), sgd)).Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("optimizer.").And.Contain("layers.0.bias");
    }

    [Fact]
    public void Temporaries_of_killed_saves_are_removed_by_the_next_save_and_a_live_one_is_kept()
    {
        string path = _temp.File("m.safetensors");
        var stale = new[] { _temp.File(".m.safetensors." + Guid.NewGuid().ToString("N") + ".tmp"), _temp.File(".m.safetensors." + Guid.NewGuid().ToString("N") + ".tmp") };
        foreach (var s in stale)
        {
            File.WriteAllBytes(s, new byte[1000]);
        }

        string live = _temp.File(".m.safetensors." + Guid.NewGuid().ToString("N") + ".tmp");
        string other = _temp.File(".m.safetensors.old." + Guid.NewGuid().ToString("N") + ".tmp");
        File.WriteAllBytes(other, [1]);
        using (new FileStream(live, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            ModelSerializer.Save(new Network(3).Add(new FullyConnected(3, 2)), path);
            File.Exists(live).Should().BeTrue("a writer still holds it");
        }

        foreach (var s in stale)
        {
            File.Exists(s).Should().BeFalse();
        }

        File.Exists(other).Should().BeTrue("it belongs to another target's name pattern");
        ModelSerializer.Load(path).Parameters.Should().HaveCount(2);
    }

    [Fact]
    public void A_save_during_updates_holds_weights_of_one_step()
    {
        // Another thread rewrites every weight to the step number under the network's lock, as Trainer does; each saved
        // file must hold one step's weights, never a mix.
        var net = new Network(64).Add(new FullyConnected(64, 512)).Add(new FullyConnected(512, 256));
        foreach (var p in net.Parameters)
        {
            p.Value.AsSpan().Fill(0f); // one step's weights from the start: the first save may come before the writer's first fill
        }

        using var stop = new CancellationTokenSource();
        var writer = new Thread(() =>
        {
            for (float step = 1; !stop.IsCancellationRequested; step++)
            {
                lock (net.SyncRoot)
                {
                    foreach (var p in net.Parameters)
                    {
                        p.Value.AsSpan().Fill(step);
                    }
                }
            }
        });
        writer.Start();
        try
        {
            for (int i = 0; i < 40; i++)
            {
                var ms = new MemoryStream();
                ModelSerializer.Save(net, ms);
                ms.Position = 0;
                var loaded = ModelSerializer.LoadCheckpoint(ms).Network;
                float first = loaded.Parameters[0].Value.AsSpan()[0];
                foreach (var p in loaded.Parameters)
                {
                    foreach (float v in p.Value.AsSpan())
                    {
                        v.Should().Be(first);
                    }
                }
            }
        }
        finally
        {
            stop.Cancel();
            writer.Join();
        }
    }

    [Fact]
    public void An_architecture_that_needs_absurd_activations_per_sample_is_rejected_at_load()
    {
        // No parameters at all, so the data-section budget cannot catch it: input 4×4096×4096 (2^26 values) and a
        // ReLU over it need 2^27 activation values per sample, 512 MiB for one image.
        var net = new Network(4, 64, 64).Add(new ReLU());
        var f = SafetensorsFile.Of(net);
        var arch = f.Architecture;
        arch["input"] = new System.Text.Json.Nodes.JsonArray(4, 4096, 4096);
        f.Architecture = arch;
        FluentActions.Invoking(() => ModelSerializer.LoadCheckpoint(new MemoryStream(f.ToBytes())))
            .Should().Throw<InvalidDataException>().Which.Message.Should().Contain("activation values per sample");
        arch["input"] = new System.Text.Json.Nodes.JsonArray(4, 1024, 1024);
        f.Architecture = arch;
        ModelSerializer.LoadCheckpoint(new MemoryStream(f.ToBytes())).Network.OutputShape.ToArray().Should().Equal(4, 1024, 1024);
    }

    /// <summary>A seekable stream of <c>length</c> bytes: a little-endian header length, then zeros, made on the fly.</summary>
    private sealed class ZeroStream(long length, ulong headerLength) : Stream
    {
        private long _position;

        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => _position; set => _position = value; }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = (int)Math.Min(buffer.Length, length - _position);
            buffer[..n].Clear();
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, headerLength);
            for (long i = _position; i < Math.Min(8, _position + n); i++)
            {
                buffer[(int)(i - _position)] = prefix[(int)i];
            }

            _position += n;
            BytesRead += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
