using ConvNet.Layers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>
/// What <see cref="PoolingND.Padding"/> means, as documented and as PyTorch does it: −∞ for max pooling (padding never
/// wins), zeros that count in the full-window divisor for average pooling (<c>count_include_pad=True</c>).
/// </summary>
public class PoolPaddingTests
{
    [Fact]
    public void Max_pool_padding_is_minus_infinity_so_a_negative_border_keeps_its_own_maximum()
    {
        // All inputs negative: zero padding would make every border output 0.
        var x = Tensor.FromData([-9f, -8f, -7f, -6f, -5f, -4f, -3f, -2f, -1f], 1, 1, 3, 3);
        var pool = new MaxPool2D(3, stride: 1, padding: 1);

        var y = pool.Forward(x);

        y.ToArray().Should().Equal(-5f, -4f, -4f, -2f, -1f, -1f, -2f, -1f, -1f);
        pool.ArgMax[0].Should().Be(4, "the corner window's maximum is a real element, never a padded one");
    }

    [Fact]
    public void Average_pool_padding_counts_as_zeros_in_the_full_window_divisor()
    {
        // torch.nn.functional.avg_pool2d(torch.ones(1, 1, 3, 3), 3, 1, 1): corners 4/9, edges 6/9, centre 1.
        var x = Tensor.FromData([1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f], 1, 1, 3, 3);
        var pool = new AveragePool2D(3, stride: 1, padding: 1);

        var y = pool.Forward(x);

        float ninth = 1f / 9;
        y.ToArray().Should().Equal(4 * ninth, 6 * ninth, 4 * ninth, 6 * ninth, 9 * ninth, 6 * ninth, 4 * ninth, 6 * ninth, 4 * ninth);
    }
}
