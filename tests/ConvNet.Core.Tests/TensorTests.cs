using System;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests;

public class TensorTests
{
    [Fact]
    public void New_tensor_is_zeroed_with_shape_rank_and_length()
    {
        var t = new Tensor(2, 3, 4);
        t.Rank.Should().Be(3);
        t.Length.Should().Be(24);
        t.Shape.ToArray().Should().Equal(2, 3, 4);
        t.ToArray().Should().OnlyContain(v => v == 0f);
    }

    [Fact]
    public void Indexer_is_row_major()
    {
        var t = Tensor.FromData([0, 1, 2, 3, 4, 5], 2, 3);
        t[1, 0].Should().Be(3f);
        t[0, 2].Should().Be(2f);
        t[1, 2] = 9;
        t.AsSpan()[5].Should().Be(9f);
        var t5 = new Tensor(2, 2, 2, 2, 2);
        t5[1, 1, 1, 1, 1] = 7;
        t5.AsSpan()[31].Should().Be(7f);
    }

    [Fact]
    public void Memory_overload_is_copy_free_and_reshape_is_a_view()
    {
        var data = new float[6];
        var t = new Tensor(data, 2, 3);
        t[1, 1] = 5;
        data[4].Should().Be(5f);
        var r = t.Reshape(3, -1);
        r.Shape.ToArray().Should().Equal(3, 2);
        r[2, 0] = 8;
        data[4].Should().Be(8f);
        FluentActions.Invoking(() => t.Reshape(4, 2)).Should().Throw<ArgumentException>().WithMessage("*[2, 3]*[4, 2]*");
    }

    [Fact]
    public void Slice_along_the_batch_is_a_view()
    {
        var t = Tensor.FromData([1, 2, 3, 4, 5, 6], 3, 2);
        var s = t.Slice(1, 2);
        s.Shape.ToArray().Should().Equal(2, 2);
        s[0, 0].Should().Be(3f);
        s[1, 1] = 0;
        t[2, 1].Should().Be(0f);
    }

    [Fact]
    public void Index_out_of_range_and_wrong_rank_throw()
    {
        var t = new Tensor(2, 2);
        FluentActions.Invoking(() => t[2, 0]).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => t[0]).Should().Throw<ArgumentException>().WithMessage("*rank-2*");
    }

    [Fact]
    public void ToString_prints_small_tensors()
    {
        Tensor.FromData([1, 2, 3, 4], 2, 2).ToString().Should().Be("Tensor[2, 2] [[1, 2], [3, 4]]");
        new Tensor(100, 100).ToString().Should().Be("Tensor[100, 100] (10000 elements)");
    }

    [Fact]
    public void Zero_or_negative_dimension_is_rejected() =>
        FluentActions.Invoking(() => new Tensor(2, 0)).Should().Throw<ArgumentException>().WithParameterName("shape").WithMessage("*[2, 0]*");
}
