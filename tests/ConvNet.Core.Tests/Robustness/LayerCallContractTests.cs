using System;
using ConvNet.Layers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Robustness;

/// <summary>
/// The calling contract of <see cref="Layer.Forward(Tensor, Tensor)"/> and <see cref="Layer.Backward(Tensor, Tensor, Tensor, Tensor?)"/>,
/// found by an adversarial review: Backward must see the input shape of the last Forward (the layer's caches — argmax,
/// statistics, column buffers — belong to it), and an output may not alias its input. Both used to give wrong results
/// or an IndexOutOfRangeException instead of a clear error.
/// </summary>
public class LayerCallContractTests
{
    [Fact]
    public void Backward_with_another_shape_than_the_last_forward_is_refused()
    {
        // Same batch size, other maps: MaxPool indexed its stale argmax (IndexOutOfRangeException).
        var pool = new MaxPool2D(2);
        var x = new Tensor(2, 1, 4, 4);
        for (int i = 0; i < 32; i++)
        {
            x.AsSpan()[i] = i;
        }

        pool.Forward(x);
        var act = () => pool.Backward(new Tensor(2, 4, 2, 2), new Tensor(2, 4, 1, 1), new Tensor(2, 4, 1, 1));
        act.Should().Throw<InvalidOperationException>().WithMessage("*Backward was called before Forward for this batch*[2, 1, 4, 4]*");
    }

    [Fact]
    public void Backward_after_a_forward_of_another_shape_is_refused_even_when_an_earlier_forward_matched()
    {
        // Forward [1,1,2,4], Forward [1,2,2,2], Backward with [1,1,2,4]: both δ's used to go to index 0 silently.
        var pool = new MaxPool2D(2);
        var a = new Tensor(1, 1, 2, 4);
        var b = new Tensor(1, 2, 2, 2);
        var ya = pool.Forward(a);
        pool.Forward(b);
        var act = () => pool.Backward(a, ya, new Tensor(1, 1, 1, 2));
        act.Should().Throw<InvalidOperationException>();

        var bn = new BatchNorm2D(2);
        var x1 = new Tensor(4, 2, 3, 3);
        var x2 = new Tensor(4, 2, 5, 5);
        var y1 = bn.Forward(x1);
        bn.Forward(x2);
        var stale = () => bn.Backward(x1, y1, new Tensor(4, 2, 3, 3));
        stale.Should().Throw<InvalidOperationException>("BatchNorm would reuse the other batch's statistics");
    }

    [Fact]
    public void MaxPool_argmax_covers_only_the_last_forward()
    {
        var pool = new MaxPool2D(2);
        pool.Forward(new Tensor(4, 1, 4, 4));
        pool.ArgMax.Length.Should().Be(16);
        pool.Forward(new Tensor(1, 1, 4, 4));
        pool.ArgMax.Length.Should().Be(4, "the entries of the larger earlier batch are stale");
    }

    [Fact]
    public void A_matching_backward_still_runs()
    {
        var pool = new MaxPool2D(2);
        var x = new Tensor(2, 3, 4, 4);
        var y = pool.Forward(x);
        pool.Backward(x, y, new Tensor(2, 3, 2, 2)).HasShape([2, 3, 4, 4]).Should().BeTrue();
    }

    [Theory]
    [InlineData("avg")]
    [InlineData("max")]
    [InlineData("conv")]
    [InlineData("relu")]
    public void An_output_that_shares_memory_with_the_input_is_refused(string kind)
    {
        // W = 18: the 2×2 vector pool's moved-back last block re-read inputs the output had already overwritten.
        var a = new float[36];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = i - 17.5f;
        }

        var x = new Tensor(a, 1, 1, 2, 18);
        Layer layer = kind switch
        {
            "avg" => new AveragePool2D(2),
            "max" => new MaxPool2D(2),
            "conv" => new Conv2D(1, 1, (2, 2), stride: (2, 2)),
            _ => new ReLU(),
        };
        // In place for the activation, the first 9 values of the input for the pools and the convolution.
        var output = kind == "relu" ? new Tensor(a.AsMemory(), 1, 1, 2, 18) : new Tensor(a.AsMemory(0, 9), 1, 1, 1, 9);

        var act = () => layer.Forward(x, output);
        act.Should().Throw<ArgumentException>().WithMessage("*must not share memory with the input*");
        for (int i = 0; i < a.Length; i++)
        {
            a[i].Should().Be(i - 17.5f, "the refusal comes before anything is written");
        }
    }
}
