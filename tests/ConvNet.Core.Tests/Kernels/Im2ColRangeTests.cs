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
    }
}
