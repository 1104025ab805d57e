using System.Collections.Generic;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Signal;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Signal;

/// <summary>Every case of conv_signal.json and flip.json (scipy 1.10.1 'direct', Octave 7.3 for MATLAB conventions).</summary>
public class SignalOracleTests
{
    public static IEnumerable<object[]> SignalCases() => Oracle.Names("conv_signal.json");

    public static IEnumerable<object[]> FlipCases() => Oracle.Names("flip.json");

    [Theory]
    [MemberData(nameof(SignalCases))]
    public void Conv_signal_case_matches_scipy(string name)
    {
        var c = Oracle.Case("conv_signal.json", name);
        var f = c.Inputs["in1"].ToTensor();
        var g = c.Inputs["in2"].ToTensor();
        var mode = c.Params.GetProperty("mode").GetString() switch
        {
            "full" => ConvolutionMode.Full,
            "same" => ConvolutionMode.Same,
            "valid" => ConvolutionMode.Valid,
            var m => throw new KeyNotFoundException(m),
        };

        switch (c.Op)
        {
            case "convolve":
                Check(Convolution.Convolve(f, g, mode), c.Expected["out"], name);
                break;
            case "correlate":
                Check(Convolution.Correlate(f, g, mode), c.Expected["out"], name);
                break;
            case "convolve_same_conventions":
                Check(Convolution.Convolve(f, g, ConvolutionMode.Same), c.Expected["out_scipy"], name + " scipy");
                Check(Convolution.Convolve(f, g, ConvolutionMode.Same, SameAlignment.Matlab), c.Expected["out_matlab"], name + " matlab");
                Check(Convolution.Convolve(f, g, ConvolutionMode.Full), c.Expected["full"], name + " full");
                break;
            default:
                throw new KeyNotFoundException("Unknown op " + c.Op);
        }
    }

    [Theory]
    [MemberData(nameof(FlipCases))]
    public void Flip_case_matches_numpy(string name)
    {
        var c = Oracle.Case("flip.json", name);
        var x = c.Inputs["x"].ToTensor();
        c.Params.GetProperty("axes").GetString().Should().Be("all");
        Check(Convolution.Flip(x), c.Expected["out"], name);
        if (x.Rank == 2)
        {
            Check(Convolution.Rot180(x), c.Expected["out"], name + " rot180");
        }
    }

    private static void Check(Tensor actual, OracleTensor expected, string what)
    {
        actual.Shape.ToArray().Should().Equal(expected.Shape, what + " shape");
        Assertions.ShouldMatch(actual.AsSpan(), expected, what);
    }
}
