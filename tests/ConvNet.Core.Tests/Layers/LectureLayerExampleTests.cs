using System;
using ConvNet.Layers;
using ConvNet.Signal;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>The lecture's worked layer examples, as exact symbolic identities evaluated on distinct integers.</summary>
public class LectureLayerExampleTests
{
    // y^(l-1): 3x3, w: 2x2, distinct small integers so every product is exact in float32.
    private static readonly float[] Y = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    private static readonly float[] W = [2, -1, 3, 5];
    private const float B = 0.5f;

    private static float y(int i, int j) => Y[((i - 1) * 3) + j - 1];

    private static float w(int i, int j) => W[((i - 1) * 2) + j - 1];

    [Fact]
    public void TwoD_example_forward_gradient_and_local_sensitivity_are_exactly_the_slides()
    {
        var conv = new Conv2D(1, 1, 2);
        W.CopyTo(conv.Weight.Value.AsSpan());
        conv.Bias!.Value[0] = B;
        var x = Tensor.FromData(Y, 1, 1, 3, 3);
        var output = conv.Forward(x);

        // y11 = w11 y11 + w12 y12 + w21 y21 + w22 y22 + b, etc.
        output[0, 0, 0, 0].Should().Be((w(1, 1) * y(1, 1)) + (w(1, 2) * y(1, 2)) + (w(2, 1) * y(2, 1)) + (w(2, 2) * y(2, 2)) + B);
        output[0, 0, 0, 1].Should().Be((w(1, 1) * y(1, 2)) + (w(1, 2) * y(1, 3)) + (w(2, 1) * y(2, 2)) + (w(2, 2) * y(2, 3)) + B);
        output[0, 0, 1, 0].Should().Be((w(1, 1) * y(2, 1)) + (w(1, 2) * y(2, 2)) + (w(2, 1) * y(3, 1)) + (w(2, 2) * y(3, 2)) + B);
        output[0, 0, 1, 1].Should().Be((w(1, 1) * y(2, 2)) + (w(1, 2) * y(2, 3)) + (w(2, 1) * y(3, 2)) + (w(2, 2) * y(3, 3)) + B);

        float[] dl = [3, -2, 1, 4];
        float d(int i, int j) => dl[((i - 1) * 2) + j - 1];
        var delta = conv.Backward(x, output, Tensor.FromData(dl, 1, 1, 2, 2));

        // ∂E/∂w11 = δ11 y11 + δ12 y12 + δ21 y21 + δ22 y22, …
        var dw = conv.Weight.Gradient;
        dw[0, 0, 0, 0].Should().Be((d(1, 1) * y(1, 1)) + (d(1, 2) * y(1, 2)) + (d(2, 1) * y(2, 1)) + (d(2, 2) * y(2, 2)));
        dw[0, 0, 0, 1].Should().Be((d(1, 1) * y(1, 2)) + (d(1, 2) * y(1, 3)) + (d(2, 1) * y(2, 2)) + (d(2, 2) * y(2, 3)));
        dw[0, 0, 1, 0].Should().Be((d(1, 1) * y(2, 1)) + (d(1, 2) * y(2, 2)) + (d(2, 1) * y(3, 1)) + (d(2, 2) * y(3, 2)));
        dw[0, 0, 1, 1].Should().Be((d(1, 1) * y(2, 2)) + (d(1, 2) * y(2, 3)) + (d(2, 1) * y(3, 2)) + (d(2, 2) * y(3, 3)));
        conv.Bias.Gradient[0].Should().Be(d(1, 1) + d(1, 2) + d(2, 1) + d(2, 2));

        // All nine δ^(l-1) entries as printed.
        float dd(int i, int j) => delta[0, 0, i - 1, j - 1];
        dd(1, 1).Should().Be(d(1, 1) * w(1, 1));
        dd(1, 2).Should().Be((d(1, 1) * w(1, 2)) + (d(1, 2) * w(1, 1)));
        dd(1, 3).Should().Be(d(1, 2) * w(1, 2));
        dd(2, 1).Should().Be((d(1, 1) * w(2, 1)) + (d(2, 1) * w(1, 1)));
        dd(2, 2).Should().Be((d(1, 1) * w(2, 2)) + (d(1, 2) * w(2, 1)) + (d(2, 1) * w(1, 2)) + (d(2, 2) * w(1, 1)));
        dd(2, 3).Should().Be((d(1, 2) * w(2, 2)) + (d(2, 2) * w(1, 2)));
        dd(3, 1).Should().Be(d(2, 1) * w(2, 1));
        dd(3, 2).Should().Be((d(2, 1) * w(2, 2)) + (d(2, 2) * w(2, 1)));
        dd(3, 3).Should().Be(d(2, 2) * w(2, 2));

        // General results: ∂E/∂w = y *valid rot180(δ), δ^(l-1) = δ *full w.
        var yT = Tensor.FromData(Y, 3, 3);
        var dT = Tensor.FromData(dl, 2, 2);
        Convolution.Convolve(yT, Convolution.Rot180(dT), ConvolutionMode.Valid).ToArray().Should().Equal(dw.ToArray());
        Convolution.Convolve(dT, Tensor.FromData(W, 2, 2), ConvolutionMode.Full).ToArray().Should().Equal(delta.ToArray());
    }

    [Fact]
    public void OneD_example_five_inputs_three_weights_gives_delta_as_full_convolution()
    {
        float[] yv = [1, -2, 3, 4, -5];
        float[] wv = [2, 3, -1];
        var conv = new Conv1D(1, 1, 3);
        wv.CopyTo(conv.Weight.Value.AsSpan());
        var x = Tensor.FromData(yv, 1, 1, 5);
        var output = conv.Forward(x);
        float[] dl = [1, 2, -3];
        var delta = conv.Backward(x, output, Tensor.FromData(dl, 1, 1, 3));
        float[] expected =
        [
            dl[0] * wv[0],
            (dl[0] * wv[1]) + (dl[1] * wv[0]),
            (dl[0] * wv[2]) + (dl[1] * wv[1]) + (dl[2] * wv[0]),
            (dl[1] * wv[2]) + (dl[2] * wv[1]),
            dl[2] * wv[2],
        ];
        delta.ToArray().Should().Equal(expected);
        Convolution.Convolve(dl, wv, ConvolutionMode.Full).Should().Equal(expected);

        // ∂E/∂w1 = δ1 y1 + δ2 y2 + δ3 y3, ∂E/∂w2 = δ1 y2 + δ2 y3 + δ3 y4, ∂E/∂w3 = δ1 y3 + δ2 y4 + δ3 y5
        conv.Weight.Gradient.ToArray().Should().Equal(
            (dl[0] * yv[0]) + (dl[1] * yv[1]) + (dl[2] * yv[2]),
            (dl[0] * yv[1]) + (dl[1] * yv[2]) + (dl[2] * yv[3]),
            (dl[0] * yv[2]) + (dl[1] * yv[3]) + (dl[2] * yv[4]));
    }

    [Fact]
    public void Feature_combination_example_delta2_is_the_sum_over_the_outputs_it_feeds()
    {
        // y1 = y1*w11 + y2*w12 (+b1), y2 = y2*w22 (+b2): M_1 = {1, 2}, M_2 = {2}.
        var table = ConnectionTable.FromSets(2, [new[] { 0, 1 }, new[] { 1 }]);
        var conv = new Conv1D(2, 2, 3, connections: table);
        conv.Parameters.Should().HaveCount(2);
        (conv.Weight.TrainableCount + conv.Bias!.TrainableCount).Should().Be((3 * 3) + 2);
        float[] w11 = [1, 2, 3], w12 = [-1, 0, 2], w22 = [3, 1, -2];
        var wv = conv.Weight.Value;
        w11.CopyTo(wv.AsSpan()[0..3]);
        w12.CopyTo(wv.AsSpan()[3..6]);
        wv.AsSpan()[6..9].ToArray().Should().Equal([0f, 0f, 0f], "w21 is unconnected and initialized to exactly zero");
        w22.CopyTo(wv.AsSpan()[9..12]);

        var x = Tensor.FromData([1, 2, -1, 0, 3, 2, -2, 1, 4, 1], 1, 2, 5);
        var output = conv.Forward(x);
        float[] d1 = [1, -1, 2], d2 = [2, 3, -1];
        var dy = Tensor.FromData([.. d1, .. d2], 1, 2, 3);
        var delta = conv.Backward(x, output, dy);

        var full = (float[] a, float[] b) => Convolution.Convolve(a, b, ConvolutionMode.Full);
        delta.AsSpan()[0..5].ToArray().Should().Equal(full(d1, w11), "δ1 = δ1 *full w11");
        var expected2 = full(d1, w12);
        var second = full(d2, w22);
        for (int i = 0; i < 5; i++)
        {
            expected2[i] += second[i];
        }

        delta.AsSpan()[5..10].ToArray().Should().Equal(expected2, "δ2 = δ1 *full w12 + δ2 *full w22");
        conv.Weight.Gradient.AsSpan()[6..9].ToArray().Should().Equal(0f, 0f, 0f);
    }

    [Fact]
    public void Conv_with_the_LeNet5_C3_table_has_1516_trainable_parameters()
    {
        var c3 = new Conv2D(6, 16, 5, connections: ConnectionTable.LeNet5C3);
        int trainable = 0;
        foreach (var p in c3.Parameters)
        {
            trainable += p.TrainableCount;
        }

        trainable.Should().Be((60 * 25) + 16);
    }
}
