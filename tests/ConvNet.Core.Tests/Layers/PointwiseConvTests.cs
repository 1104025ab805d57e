using System;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Diagnostics;
using ConvNet.Layers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>
/// Dense 1×1 stride-1 convolutions run as plain per-sample products (PointwiseEngine). Checked against a double
/// reference of y_q = Σ_p w_qp x_p + b_q and its backward, against the implicit GEMM, by finite differences, on 1 and 2
/// threads, and for the geometries it must not take.
/// </summary>
public class PointwiseConvTests
{
    [Theory]
    [InlineData(1, 5, 3, 7)]
    [InlineData(2, 16, 32, 9)]
    [InlineData(3, 4, 6, 3)]
    public void Matches_the_double_reference_forward_and_backward(int dims, int cin, int cout, int size)
    {
        var conv = Make(dims, cin, cout, useBias: true);
        int[] spatial = dims switch { 1 => [size], 2 => [size, size], _ => [size, size, size] };
        int n = 3, p = 1;
        foreach (int d in spatial)
        {
            p *= d;
        }

        var r = new Random(dims);
        var x = Random(r, [n, cin, .. spatial]);
        var dy = Random(r, [n, cout, .. spatial]);
        var y = conv.Forward(x);
        conv.UsesPointwise.Should().BeTrue();
        var dx = conv.Backward(x, y, dy);
        var w = conv.Weight.Value.AsSpan();
        var b = conv.Bias!.Value.AsSpan();
        var dw = new double[cout * cin];
        var db = new double[cout];
        for (int s = 0; s < n; s++)
        {
            for (int q = 0; q < cout; q++)
            {
                for (int i = 0; i < p; i++)
                {
                    double sum = b[q];
                    double g = dy.AsSpan()[(((s * cout) + q) * p) + i];
                    for (int c = 0; c < cin; c++)
                    {
                        double xv = x.AsSpan()[(((s * cin) + c) * p) + i];
                        sum += w[(q * cin) + c] * xv;
                        dw[(q * cin) + c] += g * xv;
                    }

                    db[q] += g;
                    y.AsSpan()[(((s * cout) + q) * p) + i].Should().BeApproximately((float)sum, 1e-5f);
                }
            }

            for (int c = 0; c < cin; c++)
            {
                for (int i = 0; i < p; i++)
                {
                    double sum = 0;
                    for (int q = 0; q < cout; q++)
                    {
                        sum += w[(q * cin) + c] * dy.AsSpan()[(((s * cout) + q) * p) + i];
                    }

                    dx.AsSpan()[(((s * cin) + c) * p) + i].Should().BeApproximately((float)sum, 1e-5f);
                }
            }
        }

        for (int k = 0; k < dw.Length; k++)
        {
            conv.Weight.Gradient.AsSpan()[k].Should().BeApproximately((float)dw[k], 1e-4f);
        }

        for (int q = 0; q < cout; q++)
        {
            conv.Bias.Gradient.AsSpan()[q].Should().BeApproximately((float)db[q], 1e-4f);
        }
    }

    [Fact]
    public void Agrees_with_the_implicit_gemm_and_gives_the_same_bits_on_one_and_two_threads()
    {
        var r = new Random(4);
        var x = Random(r, 8, 24, 14, 14);
        var dy = Random(r, 8, 40, 14, 14);
        (float[] Y, float[] Dx, float[] Dw, float[] Db) Run(bool pointwise, int threads)
        {
            var conv = new Conv2D(24, 40, 1, seed: 5) { AllowPointwise = pointwise, DegreeOfParallelism = threads };
            var y = conv.Forward(x);
            conv.UsesPointwise.Should().Be(pointwise);
            var dx = conv.Backward(x, y, dy);
            return (y.ToArray(), dx.ToArray(), conv.Weight.Gradient.ToArray(), conv.Bias!.Gradient.ToArray());
        }

        var one = Run(true, 1);
        var two = Run(true, 2);
        two.Y.Should().Equal(one.Y);
        two.Dx.Should().Equal(one.Dx);
        two.Dw.Should().Equal(one.Dw);
        two.Db.Should().Equal(one.Db);
        var implicitGemm = Run(false, 1);
        Close(one.Y, implicitGemm.Y, 1e-5);
        Close(one.Dx, implicitGemm.Dx, 1e-5);
        Close(one.Dw, implicitGemm.Dw, 1e-4);
        Close(one.Db, implicitGemm.Db, 1e-4);
    }

    [Theory]
    [InlineData(37, 7, true)]
    [InlineData(130, 3, false)]
    public void Small_maps_side_by_side_match_the_double_reference_for_any_thread_count(int batch, int size, bool bias)
    {
        // Maps under 128 positions run the forward several samples per product (groups of up to 1,024 columns, the
        // last group of a chunk shorter); checked against y = W·x + b in double and across thread counts.
        var r = new Random(batch + size);
        int cin = 16, cout = 24, p = size * size;
        var x = Random(r, batch, cin, size, size);
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 5 })
        {
            var conv = new Conv2D(cin, cout, 1, useBias: bias, seed: 9) { DegreeOfParallelism = threads };
            var y = conv.Forward(x);
            conv.UsesPointwise.Should().BeTrue();
            if (first is null)
            {
                first = y.ToArray();
                ReadOnlySpan<float> w = conv.Weight.Value.AsSpan(), xs = x.AsSpan();
                for (int s = 0; s < batch; s++)
                {
                    for (int q = 0; q < cout; q++)
                    {
                        for (int i = 0; i < p; i++)
                        {
                            double sum = bias ? conv.Bias!.Value.AsSpan()[q] : 0;
                            for (int c = 0; c < cin; c++)
                            {
                                sum += (double)w[(q * cin) + c] * xs[(((s * cin) + c) * p) + i];
                            }

                            first[(((s * cout) + q) * p) + i].Should().BeApproximately((float)sum, 1e-5f, $"sample {s}, map {q}, position {i}");
                        }
                    }
                }
            }
            else
            {
                y.ToArray().Should().Equal(first, $"{threads} threads");
            }
        }
    }

    [Fact]
    public void Passes_the_gradient_checker()
    {
        var result = GradientChecker.Check(new Conv2D(3, 4, 1, seed: 6), [2, 3, 5, 4], new GradientCheckOptions { Seed = 8 });
        result.Passed.Should().BeTrue(result.ToString());
    }

    [Fact]
    public void Strided_and_table_connected_1x1_convolutions_take_the_general_engines()
    {
        var x = Random(new Random(1), 2, 4, 6, 6);
        Layer[] layers =
        [
            new Conv2D(4, 4, 1, stride: 2),
            new Conv2D(4, 4, 1, connections: ConnectionTable.Groups(4, 4, 2)),
            new Conv2D(4, 4, 3, padding: Padding.Same),
        ];
        foreach (ConvolutionND conv in layers)
        {
            conv.Forward(x);
            conv.UsesPointwise.Should().BeFalse(conv.ToString());
        }
    }

    private static ConvolutionND Make(int dims, int cin, int cout, bool useBias) => dims switch
    {
        1 => new Conv1D(cin, cout, 1, useBias: useBias, seed: 1),
        2 => new Conv2D(cin, cout, 1, useBias: useBias, seed: 1),
        _ => new Conv3D(cin, cout, 1, useBias: useBias, seed: 1),
    };

    private static Tensor Random(Random r, params int[] shape) => TestTensors.Uniform(r, shape);

    private static void Close(float[] actual, float[] expected, double tolerance)
    {
        actual.Length.Should().Be(expected.Length);
        for (int i = 0; i < actual.Length; i++)
        {
            actual[i].Should().BeApproximately(expected[i], (float)(tolerance * Math.Max(1, Math.Abs(expected[i]))), $"element {i}");
        }
    }

}
