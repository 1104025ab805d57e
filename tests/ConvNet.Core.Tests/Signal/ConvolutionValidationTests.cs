using System;
using ConvNet.Signal;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Signal;

/// <summary>Bad input: each case an ArgumentException naming the parameter and the shapes.</summary>
public class ConvolutionValidationTests
{
    private static readonly float[] F = [0, 1, 2, -1, 3];
    private static readonly float[] G = [1, 1, 0];

    [Fact]
    public void Null_tensor_signal_is_rejected() =>
        FluentActions.Invoking(() => Convolution.Convolve(null!, Tensor.FromData(G, 3))).Should().Throw<ArgumentNullException>().WithParameterName("signal");

    [Fact]
    public void Null_tensor_kernel_is_rejected() =>
        FluentActions.Invoking(() => Convolution.Correlate(Tensor.FromData(F, 5), null!)).Should().Throw<ArgumentNullException>().WithParameterName("kernel");

    [Fact]
    public void Empty_signal_is_rejected() =>
        FluentActions.Invoking(() => Convolution.Convolve(ReadOnlySpan<float>.Empty, G)).Should().Throw<ArgumentException>()
            .WithParameterName("signalShape").WithMessage("*positive*[0]*");

    [Fact]
    public void Empty_kernel_is_rejected() =>
        FluentActions.Invoking(() => Convolution.Convolve(F, ReadOnlySpan<float>.Empty)).Should().Throw<ArgumentException>()
            .WithParameterName("kernelShape").WithMessage("*[0]*");

    [Fact]
    public void Data_length_not_matching_shape_is_rejected() =>
        FluentActions.Invoking(() => Convolution.Convolve(F, [2, 3], G, [1, 3], new float[20], ConvolutionMode.Full))
            .Should().Throw<ArgumentException>().WithParameterName("signal").WithMessage("*5*[2, 3]*6*");

    [Fact]
    public void Kernel_length_not_matching_shape_is_rejected() =>
        FluentActions.Invoking(() => Convolution.Convolve(F, [5], G, [4], new float[20], ConvolutionMode.Full))
            .Should().Throw<ArgumentException>().WithParameterName("kernel").WithMessage("*3*[4]*");

    [Fact]
    public void Rank_mismatch_between_f_and_g_is_rejected() =>
        FluentActions.Invoking(() => Convolution.Convolve(Tensor.FromData(F, 5), Tensor.FromData([1, 1, 0, 0], 2, 2)))
            .Should().Throw<ArgumentException>().WithParameterName("kernelShape").WithMessage("*[5]*[2, 2]*");

    [Fact]
    public void Rank_above_three_is_rejected() =>
        FluentActions.Invoking(() => Convolution.Convolve(new Tensor(1, 1, 1, 2), new Tensor(1, 1, 1, 1)))
            .Should().Throw<ArgumentException>().WithParameterName("signalShape");

    [Fact]
    public void Destination_too_short_is_rejected() =>
        FluentActions.Invoking(() => Convolution.Convolve(F, [5], G, [3], new float[6], ConvolutionMode.Full))
            .Should().Throw<ArgumentException>().WithParameterName("destination").WithMessage("*[7]*7*6*");

    [Fact]
    public void Undefined_mode_is_rejected() =>
        FluentActions.Invoking(() => Convolution.Convolve(F, G, (ConvolutionMode)42))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("mode");

    [Fact]
    public void Undefined_alignment_is_rejected() =>
        FluentActions.Invoking(() => Convolution.Convolve(Tensor.FromData(F, 5), Tensor.FromData(G, 3), ConvolutionMode.Same, (SameAlignment)7))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("alignment");

    [Fact]
    public void Valid_with_kernel_larger_in_one_dimension_and_smaller_in_another_is_rejected_as_scipy_does() =>
        FluentActions.Invoking(() => Convolution.Convolve(new Tensor(4, 2), new Tensor(2, 4), ConvolutionMode.Valid))
            .Should().Throw<ArgumentException>().WithParameterName("kernelShape").WithMessage("*[4, 2]*[2, 4]*");

    [Fact]
    public void Rot180_of_a_vector_is_rejected() =>
        FluentActions.Invoking(() => Convolution.Rot180(new Tensor(3))).Should().Throw<ArgumentException>().WithParameterName("matrix");

    [Fact]
    public void Flip_with_a_repeated_axis_is_rejected() =>
        FluentActions.Invoking(() => Convolution.Flip(new Tensor(2, 2), 0, 0)).Should().Throw<ArgumentException>().WithParameterName("axes");

    [Fact]
    public void Tensor_with_data_not_matching_shape_is_rejected() =>
        FluentActions.Invoking(() => new Tensor(new float[5], 2, 3)).Should().Throw<ArgumentException>().WithParameterName("memory").WithMessage("*5*[2, 3]*6*");

    [Fact]
    public void Tensor_with_rank_six_is_rejected() =>
        FluentActions.Invoking(() => new Tensor(1, 1, 1, 1, 1, 1)).Should().Throw<ArgumentException>().WithParameterName("shape");
}
