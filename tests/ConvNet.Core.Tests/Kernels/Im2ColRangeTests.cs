using ConvNet.Kernels;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Kernels;

/// <summary>Im2Col's per-row column range (hoisted out of the output-row loop) against the per-element test it replaced.</summary>
public class Im2ColRangeTests
{
    [Fact]
    public void The_column_range_is_exactly_the_output_columns_that_read_inside_the_input()
    {
        for (int stride = 1; stride <= 4; stride++)
        {
            for (int width = 1; width <= 9; width++)
            {
                for (int outWidth = 1; outWidth <= 9; outWidth++)
                {
                    for (int w0 = -7; w0 <= 11; w0++)
                    {
                        var (lo, hi) = Im2Col.ColumnRange(w0, stride, width, outWidth);
                        for (int ow = 0; ow < outWidth; ow++)
                        {
                            int w = (ow * stride) + w0;
                            bool inside = w >= 0 && w < width;
                            (ow >= lo && ow < hi).Should().Be(inside, $"stride {stride}, width {width}, outWidth {outWidth}, w0 {w0}, ow {ow}");
                        }

                        lo.Should().BeInRange(0, outWidth);
                        hi.Should().BeInRange(lo, outWidth);
                    }
                }
            }
        }

        // Overflow in int before the fix: a huge stride with padding gave lo = −1 (an out-of-bounds gather).
        Im2Col.ColumnRange(-2, int.MaxValue, 1, 1).Should().Be((1, 1));
        Im2Col.ColumnRange(-1, int.MaxValue, 5, 3).Should().Be((1, 1));
        Im2Col.ColumnRange(int.MinValue + 1, 2, 8, 4).Should().Be((4, 4));
    }

    [Fact]
    public void A_huge_stride_with_padding_reads_only_inside_the_input()
    {
        var conv = new ConvNet.Layers.Conv1D(1, 1, 5, stride: int.MaxValue, padding: ConvNet.Layers.Padding.Explicit((2, 2)), useBias: false);
        conv.Weight.Value.AsSpan().Fill(1f);
        var x = ConvNet.Tensor.FromData([3f], 1, 1, 1);
        var y = conv.Forward(x);
        y.ToArray().Should().Equal(3f);
        var dx = conv.Backward(x, y, ConvNet.Tensor.FromData([1f], 1, 1, 1));
        dx.ToArray().Should().Equal(1f);
    }
}
