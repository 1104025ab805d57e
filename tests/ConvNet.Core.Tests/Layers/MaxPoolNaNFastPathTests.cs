using System;
using ConvNet.Layers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>
/// NaN in max pooling, on every path (the vectorized 2×2 rows, the scalar 2×2 loop, the generic window scan): a window
/// holding a NaN outputs NaN whatever the NaN's position, its argmax is the first NaN in row-major order, and Backward
/// routes δ there. (The class name ends in FastPathTests so CI reruns it with AVX-512 and with all intrinsics off.)
/// </summary>
public class MaxPoolNaNFastPathTests
{
    /// <summary>Kernel, stride, padding, input height and width: the fast 2×2 path (vector rows from 16 outputs,
    /// short rows, stride 1) and the generic scan (3×3, padded, 1-D and 3-D below).</summary>
    public static TheoryData<int, int, int, int, int> Geometries() => new()
    {
        { 2, 2, 0, 4, 64 },  // 2×2 stride 2, 32 outputs a row: AVX-512 rows
        { 2, 2, 0, 4, 70 },  // 35 outputs: AVX-512 rows with the moved-back last block
        { 2, 2, 0, 2, 6 },   // 3 outputs, one row: scalar loop (or an over-reading vector row)
        { 2, 1, 0, 3, 5 },   // 2×2 stride 1: the scalar 2×2 loop
        { 3, 3, 0, 6, 9 },   // generic scan
        { 3, 2, 1, 5, 7 },   // generic scan with padding
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void A_NaN_in_any_window_position_makes_the_output_NaN_and_takes_the_gradient(int k, int s, int p, int h, int w)
    {
        var pool = new MaxPool2D(k, s, p);
        var clean = Values(h, w, seed: k + (10 * w));
        var reference = pool.Forward(Tensor.FromData(clean, 1, 1, h, w));
        int oh = reference.Shape[2], ow = reference.Shape[3];
        for (int at = 0; at < h * w; at++)
        {
            var xs = (float[])clean.Clone();
            xs[at] = float.NaN;
            var x = Tensor.FromData(xs, 1, 1, h, w);
            var y = pool.Forward(x);
            var dy = Tensor.FromData(Ones(y.Length), y.Shape.ToArray());
            var dx = pool.Backward(x, y, dy);
            int nanWindows = 0;
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++)
                {
                    int o = (i * ow) + j;
                    if (Covers(i, j, at, k, s, p, w))
                    {
                        nanWindows++;
                        float.IsNaN(y.AsSpan()[o]).Should().BeTrue($"window ({i},{j}) holds the NaN at {at} ({k}x{k}, stride {s}, padding {p}, {h}x{w})");
                        pool.ArgMax[o].Should().Be(at, $"window ({i},{j}) routes δ to the NaN at {at}");
                    }
                    else
                    {
                        y.AsSpan()[o].Should().Be(reference.AsSpan()[o], $"window ({i},{j}) does not hold the NaN at {at}");
                    }
                }
            }

            // Every window holding the NaN sends its δ = 1 there.
            dx.AsSpan()[at].Should().Be(nanWindows, $"NaN at {at}");
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void With_two_NaNs_in_a_window_the_first_in_row_major_order_is_the_argmax(int k, int s, int p, int h, int w)
    {
        var pool = new MaxPool2D(k, s, p);
        var xs = Values(h, w, seed: 3);
        // The last window's bottom-right and top-left real elements.
        int oh = ((h + (2 * p) - k) / s) + 1, ow = ((w + (2 * p) - k) / s) + 1;
        int r0 = Math.Max(((oh - 1) * s) - p, 0), c0 = Math.Max(((ow - 1) * s) - p, 0);
        int r1 = Math.Min(((oh - 1) * s) - p + k, h) - 1, c1 = Math.Min(((ow - 1) * s) - p + k, w) - 1;
        int first = (r0 * w) + c0, second = (r1 * w) + c1;
        xs[second] = float.NaN;
        xs[first] = -float.NaN; // a NaN with the sign bit set: still NaN, and a different bit pattern
        var x = Tensor.FromData(xs, 1, 1, h, w);

        var y = pool.Forward(x);

        int last = (oh * ow) - 1;
        float.IsNaN(y.AsSpan()[last]).Should().BeTrue();
        pool.ArgMax[last].Should().Be(first);
        BitConverter.SingleToInt32Bits(y.AsSpan()[last]).Should().Be(BitConverter.SingleToInt32Bits(xs[first]), "the output is the first NaN itself");
    }

    [Fact]
    public void NaN_after_minus_infinity_still_wins_and_an_all_minus_infinity_window_keeps_its_first_element()
    {
        var pool = new MaxPool1D(3);
        var x = Tensor.FromData([float.NegativeInfinity, float.NaN, 1f, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity], 1, 1, 6);

        var y = pool.Forward(x);

        float.IsNaN(y[0, 0, 0]).Should().BeTrue();
        pool.ArgMax[0].Should().Be(1);
        y[0, 0, 1].Should().Be(float.NegativeInfinity);
        pool.ArgMax[1].Should().Be(3);
    }

    [Fact]
    public void A_NaN_in_a_3d_window_propagates()
    {
        var pool = new MaxPool3D(2);
        var xs = Values(8, 8, seed: 5); // 64 values as a 4×4×4 volume
        xs[(3 * 16) + (2 * 4) + 1] = float.NaN; // window (1, 1, 0), its last depth slice
        var x = Tensor.FromData(xs, 1, 1, 4, 4, 4);

        var y = pool.Forward(x);

        for (int o = 0; o < 8; o++)
        {
            float.IsNaN(y.AsSpan()[o]).Should().Be(o == (1 * 4) + (1 * 2) + 0, $"output {o}");
        }

        pool.ArgMax[(1 * 4) + (1 * 2)].Should().Be((3 * 16) + (2 * 4) + 1);
    }

    private static bool Covers(int i, int j, int at, int k, int s, int p, int w)
    {
        int r = at / w, c = at % w;
        int r0 = (i * s) - p, c0 = (j * s) - p;
        return r >= r0 && r < r0 + k && c >= c0 && c < c0 + k;
    }

    private static float[] Values(int h, int w, int seed)
    {
        var rng = new Random(seed);
        var v = new float[h * w];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return v;
    }

    private static float[] Ones(int n)
    {
        var v = new float[n];
        v.AsSpan().Fill(1f);
        return v;
    }
}
