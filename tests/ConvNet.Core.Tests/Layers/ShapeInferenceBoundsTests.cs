using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using ConvNet.Layers;
using ConvNet.Serialization;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>
/// Architecture bounds of shape inference: padding limits, 64-bit arithmetic in every GetOutputShape, and per-sample
/// shapes beyond an array rejected with an ArgumentException instead of wrapping into a wrong shape.
/// </summary>
public class ShapeInferenceBoundsTests
{
    [Fact]
    public void Conv_explicit_padding_beyond_the_dilated_kernel_extent_is_rejected_when_built()
    {
        // Padding 8000 on a 5x5 kernel: one 28x28 sample would become a 16024x16024 map of bias values (gigabytes).
        var act = () => new Conv2D(1, 1, 5, padding: Padding.Explicit((8000, 8000), (8000, 8000)));

        act.Should().Throw<ArgumentException>().WithParameterName("padding").WithMessage("*8000*k_e − 1 = 4*");
    }

    [Fact]
    public void Conv_explicit_padding_of_int_max_is_rejected_instead_of_wrapping_to_a_small_shape()
    {
        // 28 + 2·(2^31 − 1) wraps to 26 in 32 bits: the layer used to report a 22x22 output.
        var act = () => new Conv2D(1, 1, 5, padding: Padding.Symmetric(int.MaxValue));

        act.Should().Throw<ArgumentException>().WithParameterName("padding");
    }

    [Theory]
    [InlineData(5, 1, 4)]
    [InlineData(3, 2, 4)]
    [InlineData(1, 1, 0)]
    public void Conv_explicit_padding_up_to_k_e_minus_1_matches_full_padding(int kernel, int dilation, int padding)
    {
        var conv = new Conv1D(1, 1, kernel, padding: Padding.Explicit((padding, padding)), dilation: dilation);
        var full = new Conv1D(1, 1, kernel, padding: Padding.Full, dilation: dilation);

        conv.GetOutputShape([1, 7]).Should().Equal(full.GetOutputShape([1, 7]));
        FluentActions.Invoking(() => new Conv1D(1, 1, kernel, padding: Padding.Explicit((0, padding + 1)), dilation: dilation))
            .Should().Throw<ArgumentException>().WithParameterName("padding");
    }

    [Fact]
    public void Conv_dilated_kernel_beyond_int_is_rejected_when_built() =>
        FluentActions.Invoking(() => new Conv1D(1, 1, 3, dilation: int.MaxValue))
            .Should().Throw<ArgumentException>().WithParameterName("dilation").WithMessage("*3*2147483647*");

    [Fact]
    public void Conv_weights_beyond_an_array_are_rejected_before_the_mask_is_sized()
    {
        // 2·2·46341² wraps in 32 bits: the connection mask used to be allocated with a negative length.
        var act = () => new Conv2D(2, 2, [46341, 46341], connections: ConnectionTable.OneToOne(2));

        act.Should().Throw<ArgumentException>().WithParameterName("kernelSize");
    }

    [Fact]
    public void Conv_padded_length_beyond_int_is_rejected_with_a_clear_message()
    {
        var conv = new Conv1D(1, 1, 5, padding: Padding.Full);

        var act = () => conv.GetOutputShape([1, int.MaxValue - 2]);

        act.Should().Throw<ArgumentException>().WithParameterName("inputShape").WithMessage("*more than int holds*");
    }

    [Theory]
    [InlineData(2, (1 << 30) + 1)]
    [InlineData(65536, 65536)]
    public void Conv_per_sample_output_beyond_an_array_is_rejected(int outChannels, int width)
    {
        var conv = new Conv1D(1, outChannels, 1);

        var act = () => conv.GetOutputShape([1, width]);

        act.Should().Throw<ArgumentException>().WithParameterName("inputShape").WithMessage("*more elements than an array can hold*");
    }

    [Fact]
    public void Same_padding_of_a_length_near_int_max_is_computed_in_64_bit()
    {
        // ⌈L / 2⌉ with L = 2^31 − 1: L + stride − 1 wraps in 32 bits.
        Padding.Same.Resolve(0, 1, int.MaxValue, 3, 2, 1).Should().Be((1, 1));
    }

    [Fact]
    public void Padding_Resolve_rejects_a_dilated_kernel_beyond_int() =>
        FluentActions.Invoking(() => Padding.Full.Resolve(0, 1, 10, 3, 1, int.MaxValue))
            .Should().Throw<ArgumentException>().WithParameterName("dilation");

    [Fact]
    public void Average_pool_window_beyond_int_is_rejected_instead_of_dividing_by_zero()
    {
        // 65536² = 2^32 is 0 in 32 bits: the average used to be Σ · (1 / 0) = ∞.
        var act = () => new AveragePool2D(65536, padding: 32768);

        act.Should().Throw<ArgumentException>().WithParameterName("kernelSize").WithMessage("*65536, 65536*");
        FluentActions.Invoking(() => new MaxPool3D([int.MaxValue, int.MaxValue, int.MaxValue]))
            .Should().Throw<ArgumentException>().WithParameterName("kernelSize");
    }

    [Fact]
    public void Average_pool_with_the_largest_window_divides_by_the_full_window()
    {
        // 46340² = 2,147,395,600 elements, all padding but one: y = x / 46340².
        var pool = new AveragePool2D(46340, padding: 23170);
        var x = Tensor.FromData([3f], 1, 1, 1, 1);

        var y = pool.Forward(x);

        y.Shape.ToArray().Should().Equal(1, 1, 1, 1);
        y[0, 0, 0, 0].Should().Be(3f * (1f / 2_147_395_600));
    }

    [Fact]
    public void Pool_padded_length_beyond_int_is_rejected_with_a_clear_message()
    {
        var pool = new MaxPool1D(4, padding: 2);

        var act = () => pool.GetOutputShape([1, int.MaxValue - 1]);

        act.Should().Throw<ArgumentException>().WithParameterName("inputShape").WithMessage("*more than int holds*");
    }

    [Fact]
    public void Pool_per_sample_output_beyond_an_array_is_rejected() =>
        FluentActions.Invoking(() => new MaxPool1D(1).GetOutputShape([65536, 65536]))
            .Should().Throw<ArgumentException>().WithParameterName("inputShape").WithMessage("*more elements than an array can hold*");

    [Theory]
    [InlineData(new[] { 65536, 65536 })]
    [InlineData(new[] { 3, 65536, 32768 })]
    [InlineData(new[] { 2, 0 })]
    [InlineData(new int[0])]
    public void Flatten_rejects_counts_that_do_not_fit_instead_of_truncating(int[] shape) =>
        FluentActions.Invoking(() => new Flatten().GetOutputShape(shape))
            .Should().Throw<ArgumentException>().WithParameterName("inputShape");

    [Fact]
    public void Flatten_of_a_valid_shape_is_the_element_count() =>
        new Flatten().GetOutputShape([6, 5, 5]).Should().Equal(150);

    [Fact]
    public void A_model_file_with_padding_8000_is_rejected_on_load()
    {
        // Saved with padding 4 (the largest a 5x5 kernel accepts), then the header edited to 8000: the data hash
        // still matches, so only the architecture bound stands between the file and a multi-gigabyte Predict.
        var net = new Network(1, 28, 28).Add(new Conv2D(1, 1, 5, padding: Padding.Explicit((4, 4), (4, 4))));
        using var saved = new MemoryStream();
        ModelSerializer.Save(net, saved);
        byte[] file = saved.ToArray();
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        string header = Encoding.UTF8.GetString(file, 8, headerLength);
        string edited = header.Replace("[[4,4],[4,4]]", "[[8000,8000],[8000,8000]]", StringComparison.Ordinal);
        edited.Should().NotBe(header, "the test must edit the padding");
        byte[] newHeader = Encoding.UTF8.GetBytes(edited);
        using var hostile = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)newHeader.Length);
        hostile.Write(length);
        hostile.Write(newHeader);
        hostile.Write(file.AsSpan(8 + headerLength));
        hostile.Position = 0;

        var act = () => ModelSerializer.LoadCheckpoint(hostile);

        act.Should().Throw<InvalidDataException>().WithMessage("*padding*8000*");
    }
}
