using System;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Robustness;

/// <summary>
/// Sizes whose 32-bit products wrap: a tensor view or table must never end up with a shape that disagrees with its
/// memory, because the layers' unchecked kernels trust the shape.
/// </summary>
public class ShapeOverflowTests
{
    [Fact]
    public void Slice_whose_end_wraps_past_int_is_rejected()
    {
        // start + count = 2^31 + 1 wraps negative; start · 4 = 2^32 and count · 4 = 2^32 + 4 wrap to 0 and 4, so the
        // memory slice alone would look valid and yield a [2^30 + 1, 4] tensor over 4 floats.
        var t = new Tensor(4, 4);

        var act = () => t.Slice(1 << 30, (1 << 30) + 1);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("start");
    }

    [Fact]
    public void Slice_keeps_shape_and_memory_consistent()
    {
        var t = Tensor.FromData([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 3, 2, 2);

        var s = t.Slice(1, 2);

        s.Shape.ToArray().Should().Equal(2, 2, 2);
        s.Length.Should().Be(8);
        s.ToArray().Should().Equal(4, 5, 6, 7, 8, 9, 10, 11);
    }

    [Fact]
    public void Reshape_with_an_inferred_dimension_and_a_wrapping_product_is_rejected()
    {
        var t = new Tensor(16);

        // 65536 · 65536 · 65536 · 65536 wraps to 0 in 64-bit arithmetic.
        var act = () => t.Reshape(65536, 65536, 65536, 65536, -1);

        act.Should().Throw<ArgumentException>().WithParameterName("shape");
    }

    [Theory]
    [InlineData(65536, 65536)]
    [InlineData(65537, 65537)]
    [InlineData(int.MaxValue, 2)]
    public void ConnectionTable_Full_with_more_pairs_than_an_array_holds_is_rejected(int inputs, int outputs)
    {
        var act = () => ConnectionTable.Full(inputs, outputs);

        act.Should().Throw<ArgumentException>().WithParameterName("outputs").WithMessage($"*{inputs}*");
    }

    [Fact]
    public void ConnectionTable_Groups_and_OneToOne_with_more_pairs_than_an_array_holds_are_rejected()
    {
        FluentActions.Invoking(() => ConnectionTable.OneToOne(65536)).Should().Throw<ArgumentException>().WithParameterName("maps");
        FluentActions.Invoking(() => ConnectionTable.Groups(65536, 65536, 65536)).Should().Throw<ArgumentException>().WithParameterName("outputs");
    }
}
