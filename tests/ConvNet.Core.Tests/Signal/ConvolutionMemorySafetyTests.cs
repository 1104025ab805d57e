using System;
using ConvNet.Signal;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Signal;

/// <summary>
/// Shapes and buffers that reach the unchecked vector loops: every one must be rejected with an ArgumentException
/// before anything is read or written, and the destination must be left exactly as it was.
/// </summary>
public class ConvolutionMemorySafetyTests
{
    private const float Sentinel = -12345.5f;

    // 2147221520 · 134234113 · 64 = 2^64 + 1024: the product wraps to the buffer length in 64-bit arithmetic.
    private static readonly int[] WrappingShape = [2147221520, 134234113, 64];

    public static TheoryData<ConvolutionMode, bool> Modes() => new()
    {
        { ConvolutionMode.Full, false },
        { ConvolutionMode.Same, false },
        { ConvolutionMode.Valid, false },
        { ConvolutionMode.Full, true },
        { ConvolutionMode.Same, true },
        { ConvolutionMode.Valid, true },
    };

    private static float[] Filled(int length, float value)
    {
        var a = new float[length];
        a.AsSpan().Fill(value);
        return a;
    }

    private static void Run(bool correlate, ReadOnlySpan<float> f, ReadOnlySpan<int> fs, ReadOnlySpan<float> g, ReadOnlySpan<int> gs, Span<float> dst, ConvolutionMode mode)
    {
        if (correlate)
        {
            Convolution.Correlate(f, fs, g, gs, dst, mode);
        }
        else
        {
            Convolution.Convolve(f, fs, g, gs, dst, mode);
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void A_signal_shape_whose_product_wraps_to_the_buffer_length_is_rejected(ConvolutionMode mode, bool correlate)
    {
        var signal = Filled(1024, 1f);
        var kernel = new float[] { 1f };
        var destination = Filled(1024, Sentinel);

        var act = () => Run(correlate, signal, WrappingShape, kernel, [1, 1, 1], destination, mode);

        act.Should().Throw<ArgumentException>().WithParameterName("signalShape").WithMessage("*2147221520*");
        destination.Should().OnlyContain(v => v == Sentinel, "nothing may be written before the shapes are validated");
    }

    [Fact]
    public void A_wrapping_signal_shape_with_a_destination_as_long_as_the_wrapped_result_is_rejected()
    {
        // Valid with a [1, 8, 1] kernel: the result [2147221520, 134234106, 64] also wraps, to 117,434,368 elements.
        // Before the shapes were checked, a destination of that length let the vector loop read far past the
        // 1,024-float signal (an AccessViolationException that killed the process).
        var signal = Filled(1024, 1f);
        var kernel = Filled(8, 1f);
        var destination = Filled(117_434_368, Sentinel);

        var act = () => Convolution.Correlate(signal, WrappingShape, kernel, [1, 8, 1], destination, ConvolutionMode.Valid);

        act.Should().Throw<ArgumentException>().WithParameterName("signalShape");
        destination.AsSpan().ContainsAnyExcept(Sentinel).Should().BeFalse();
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void A_kernel_shape_whose_product_wraps_to_the_buffer_length_is_rejected(ConvolutionMode mode, bool correlate)
    {
        var signal = new float[] { 1f };
        var kernel = Filled(1024, 1f);
        var destination = Filled(1024, Sentinel);

        var act = () => Run(correlate, signal, [1, 1, 1], kernel, WrappingShape, destination, mode);

        act.Should().Throw<ArgumentException>().WithParameterName("kernelShape").WithMessage("*2147221520*");
        destination.Should().OnlyContain(v => v == Sentinel);
    }

    [Fact]
    public void OutputShape_rejects_a_full_length_beyond_int()
    {
        // M + K − 1 = 2^32 − 3 per dimension: computed in 32 bits it would wrap to a negative size.
        var act = () => Convolution.OutputShape([int.MaxValue], [int.MaxValue], ConvolutionMode.Full);

        act.Should().Throw<ArgumentException>().WithParameterName("signalShape");
    }

    [Fact]
    public void OutputShape_rejects_a_shape_with_more_elements_than_an_array_holds()
    {
        var act = () => Convolution.OutputShape([65536, 65536], [1, 1], ConvolutionMode.Valid);

        act.Should().Throw<ArgumentException>().WithParameterName("signalShape").WithMessage("*65536, 65536*");
    }

    [Fact]
    public void A_full_result_with_more_elements_than_an_array_holds_is_rejected_before_writing()
    {
        // 46341 × 1 (*) 1 × 46341 in 'full' mode is 46341² > Array.MaxLength elements.
        var signal = Filled(46341, 1f);
        var destination = Filled(64, Sentinel);

        var act = () => Convolution.Convolve(signal, [46341, 1], signal, [1, 46341], destination, ConvolutionMode.Full);

        act.Should().Throw<ArgumentException>().WithMessage("*46341*");
        destination.Should().OnlyContain(v => v == Sentinel);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_destination_overlapping_the_signal_is_rejected_and_left_untouched(bool correlate)
    {
        var buffer = new float[32];
        Span<float> all = buffer;
        all.Fill(Sentinel);
        all[..8].Fill(1f);
        var expected = (float[])buffer.Clone();
        var kernel = new float[] { 1f, 2f, 3f };

        var act = () => Run(correlate, buffer.AsSpan(0, 8), [8], kernel, [3], buffer.AsSpan(4), ConvolutionMode.Full);

        act.Should().Throw<ArgumentException>().WithParameterName("destination").WithMessage("*overlap*signal*");
        buffer.Should().Equal(expected);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_destination_overlapping_the_kernel_is_rejected_and_left_untouched(bool correlate)
    {
        var buffer = new float[32];
        Span<float> all = buffer;
        all.Fill(Sentinel);
        all[20..23].Fill(1f);
        var expected = (float[])buffer.Clone();
        var signal = new float[] { 1f, 2f, 3f, 4f, 5f };

        var act = () => Run(correlate, signal, [5], buffer.AsSpan(20, 3), [3], buffer.AsSpan(16, 7), ConvolutionMode.Full);

        act.Should().Throw<ArgumentException>().WithParameterName("destination").WithMessage("*overlap*kernel*");
        buffer.Should().Equal(expected);
    }

    [Fact]
    public void A_destination_after_the_inputs_in_the_same_array_is_accepted()
    {
        var buffer = new float[32];
        new float[] { 1f, 2f, 3f, 4f, 5f }.CopyTo(buffer, 0);
        new float[] { 1f, 1f }.CopyTo(buffer, 5);

        Convolution.Convolve(buffer.AsSpan(0, 5), [5], buffer.AsSpan(5, 2), [2], buffer.AsSpan(7), ConvolutionMode.Full);

        buffer.AsSpan(7, 6).ToArray().Should().Equal(1f, 3f, 5f, 7f, 9f, 5f);
    }

    [Fact]
    public void Flip_into_an_overlapping_destination_is_rejected_and_left_untouched()
    {
        var buffer = new float[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        var expected = (float[])buffer.Clone();

        var act = () => Convolution.Flip(buffer.AsSpan(0, 6), [2, 3], buffer.AsSpan(2), [0, 1]);

        act.Should().Throw<ArgumentException>().WithParameterName("destination").WithMessage("*overlap*");
        buffer.Should().Equal(expected);
    }
}
