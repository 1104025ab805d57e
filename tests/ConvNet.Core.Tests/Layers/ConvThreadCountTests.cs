using System;
using System.Linq;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Layers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>
/// Every convolution engine gives the same bits (y, δx, ∂E/∂W, ∂E/∂b) for any degree of parallelism, also above the
/// machine's core count and above four (the samples are split into a fixed number of chunks whatever the thread count;
/// a split that grew with the thread count changed ∂E/∂W's summation order beyond four threads).
/// </summary>
public class ConvThreadCountTests
{
    public static TheoryData<string> Engines() => new() { "implicit", "im2col", "block-sparse", "pointwise", "winograd" };

    [Theory]
    [MemberData(nameof(Engines))]
    public void Every_engine_gives_the_same_bits_for_any_thread_count(string engine)
    {
        int[]? y1 = null, dx1 = null, dw1 = null, db1 = null;
        foreach (int threads in new[] { 1, 2, 3, 4, 5, 8, 16, 1 })
        {
            var conv = Build(engine);
            conv.DegreeOfParallelism = threads;
            var r = new Random(21);
            var x = TestTensors.Uniform(r, 20, 8, 16, 16);
            var y = conv.Forward(x);
            var dx = conv.Backward(x, y, TestTensors.Uniform(r, y.Shape.ToArray()));
            switch (engine)
            {
                case "pointwise": conv.UsesPointwise.Should().BeTrue(); break;
                case "winograd": conv.UsesWinograd.Should().BeTrue(); break;
                case "block-sparse": conv.UsesBlockSparse.Should().BeTrue(); break;
            }

            if (y1 is null)
            {
                (y1, dx1, dw1, db1) = (Bits(y), Bits(dx), Bits(conv.Weight.Gradient), Bits(conv.Bias!.Gradient));
                continue;
            }

            Bits(y).Should().Equal(y1, $"{engine} y, {threads} threads");
            Bits(dx).Should().Equal(dx1, $"{engine} δx, {threads} threads");
            Bits(conv.Weight.Gradient).Should().Equal(dw1, $"{engine} ∂E/∂W, {threads} threads");
            Bits(conv.Bias!.Gradient).Should().Equal(db1, $"{engine} ∂E/∂b, {threads} threads");
        }
    }

    [Theory]
    [InlineData("implicit", 16, 16, 1, 28, 2)] // ResNet-20's 16-map 3×3 layer
    [InlineData("implicit", 64, 64, 1, 7, 2)] // ... its 64-map one: the 7-wide map still has 2^20 multiply-adds
    [InlineData("im2col", 16, 32, 2, 28, 2)] // ... and its strided 16 → 32
    [InlineData("implicit", 6, 16, 1, 14, 1)] // LeNet's C3-sized product stays on one thread
    [InlineData("implicit", 64, 2, 1, 64, 1)] // fewer than 4 maps: one 4-row block, nothing to split
    public void One_sample_split_by_output_maps_gives_the_same_bits(string engine, int p, int q, int stride, int size, int parts)
    {
        // A batch of one has no chunks to spread over threads, so the forward splits the sample's product by maps.
        int[]? y1 = null;
        foreach (int threads in new[] { 1, 2, 3, 8 })
        {
            var conv = new Conv2D(p, q, stride == 1 && p == 6 ? 5 : 3, stride: stride, padding: p == 6 ? Padding.Valid : Padding.Same,
                seed: 4)
            { DegreeOfParallelism = threads, AllowWinograd = false };
            TestTensors.Uniform(new Random(5), q).AsSpan().CopyTo(conv.Bias!.Value.AsSpan());
            var y = conv.Forward(TestTensors.Uniform(new Random(22), 1, p, size, size));
            conv.LastForwardParts.Should().Be(threads == 1 || parts == 1 ? 1 : Math.Min(threads, q / 4), $"{engine}, {threads} threads");
            conv.UsesPointwise.Should().BeFalse();
            if (y1 is null)
            {
                y1 = Bits(y);
                continue;
            }

            Bits(y).Should().Equal(y1, $"{engine} y, {threads} threads");
        }
    }

    private static Conv2D Build(string engine) => engine switch
    {
        "implicit" => new Conv2D(8, 12, 3, padding: Padding.Same, seed: 4) { AllowWinograd = false },
        "im2col" => new Conv2D(8, 12, 3, stride: 2, padding: Padding.Same, seed: 4),
        "block-sparse" => new Conv2D(8, 8, 3, padding: Padding.Same, connections: ConnectionTable.Groups(8, 8, 4), seed: 4),
        "pointwise" => new Conv2D(8, 12, 1, seed: 4),
        _ => new Conv2D(8, 12, 3, padding: Padding.Same, seed: 4) { WinogradMinimumChannels = 4 },
    };

    private static int[] Bits(Tensor t) => t.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
}
