using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Signal;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Signal;

/// <summary>The lecture's worked examples, exactly ("Example", "Matlab example", "Python example").</summary>
public class LectureExampleTests
{
    private static readonly float[] F = [0, 1, 2, -1, 3];
    private static readonly float[] G = [1, 1, 0];

    [Fact]
    public void OneD_valid_is_3_1_2() => Convolution.Convolve(F, G, ConvolutionMode.Valid).Should().Equal(3f, 1f, 2f);

    [Fact]
    public void OneD_full_is_0_1_3_1_2_3_0() => Convolution.Convolve(F, G, ConvolutionMode.Full).Should().Equal(0f, 1f, 3f, 1f, 2f, 3f, 0f);

    [Fact]
    public void OneD_same_is_1_3_1_2_3() => Convolution.Convolve(F, G, ConvolutionMode.Same).Should().Equal(1f, 3f, 1f, 2f, 3f);

    private static readonly Tensor A = Tensor.FromData([0, 0, 1, 2, 2, 2, 0, 0, 2, 1, 2, 2, 3, 0, 1, 1], 4, 4);
    private static readonly Tensor B = Tensor.FromData([0, 0, -1, 1, -1, 1, -1, 1, 1], 3, 3);

    [Fact]
    public void TwoD_full_is_the_lectures_C()
    {
        var c = Convolution.Convolve(A, B, ConvolutionMode.Full);
        c.Shape.ToArray().Should().Equal(6, 6);
        Assertions.ShouldEqualExactly(c.AsSpan(), new double[]
        {
            0, 0, 0, 0, -1, -2,
            0, 0, -1, -1, -1, 2,
            2, 0, -3, 0, 1, 0,
            0, -1, 4, 3, -1, 1,
            1, -2, 5, 1, 4, 3,
            -3, 3, 2, 0, 2, 1,
        }, "conv2(A,B,'full')");
    }

    [Fact]
    public void TwoD_valid_is_the_lectures_D()
    {
        var d = Convolution.Convolve(A, B, ConvolutionMode.Valid);
        d.Shape.ToArray().Should().Equal(2, 2);
        Assertions.ShouldEqualExactly(d.AsSpan(), new double[] { -3, 0, 4, 3 }, "conv2(A,B,'valid')");
    }

    [Fact]
    public void TwoD_same_is_the_lectures_D_same_in_both_alignments()
    {
        double[] expected = [0, -1, -1, -1, 0, -3, 0, 1, -1, 4, 3, -1, -2, 5, 1, 4];
        Assertions.ShouldEqualExactly(Convolution.Convolve(A, B, ConvolutionMode.Same).AsSpan(), expected, "scipy same");
        Assertions.ShouldEqualExactly(Convolution.Convolve(A, B, ConvolutionMode.Same, SameAlignment.Matlab).AsSpan(), expected, "MATLAB same (odd kernel: identical)");
    }

    [Fact]
    public void Even_kernel_same_differs_between_scipy_and_matlab_as_the_oracle_readme_says()
    {
        var f = Tensor.FromData([0, 1, 2, -1, 3], 5);
        var g = Tensor.FromData([1, 2, 3, 4], 4);
        Convolution.Convolve(f, g, ConvolutionMode.Same).ToArray().Should().Equal(1f, 4f, 6f, 11f, 11f);
        Convolution.Convolve(f, g, ConvolutionMode.Same, SameAlignment.Matlab).ToArray().Should().Equal(4f, 6f, 11f, 11f, 5f);
    }

    [Fact]
    public void Correlation_of_the_lecture_sequences_is_the_sliding_similarity()
    {
        // corr valid: z[m] = Σ_n f[m+n] g[n] = [0+1, 1+2, 2-1] = [1, 3, 1]
        Convolution.Correlate(F, G, ConvolutionMode.Valid).Should().Equal(1f, 3f, 1f);
    }

    [Fact]
    public void Rot180_flips_both_axes()
    {
        var r = Convolution.Rot180(B);
        r.ToArray().Should().Equal(1f, 1f, -1f, 1f, -1f, 1f, -1f, 0f, 0f);
    }

    [Fact]
    public void Flip_on_chosen_axes_flips_only_those()
    {
        var t = Tensor.FromData([1, 2, 3, 4, 5, 6], 2, 3);
        Convolution.Flip(t, 1).ToArray().Should().Equal(3f, 2f, 1f, 6f, 5f, 4f);
        Convolution.Flip(t, 0).ToArray().Should().Equal(4f, 5f, 6f, 1f, 2f, 3f);
        Convolution.Flip(t, -1, 0).ToArray().Should().Equal(6f, 5f, 4f, 3f, 2f, 1f);
    }
}
