using System;
using ConvNet.Data;
using ConvNet.Losses;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

/// <summary>The static Evaluate checks the data against the network with the same clear messages as Fit.</summary>
public class StaticEvaluateTests
{
    [Fact]
    public void A_class_count_mismatch_is_named_not_a_shape_error()
    {
        var net = Tiny.Net();
        var fiveClasses = new Dataset(new float[2 * Tiny.Inputs], [0, 4], [Tiny.Inputs], 5);
        FluentActions.Invoking(() => Trainer.Evaluate(net, new SoftmaxCrossEntropy(), fiveClasses))
            .Should().Throw<ArgumentException>().WithParameterName("data").WithMessage("*output [3]*5 classes*");
        var wrongShape = new Dataset(new float[2 * 5], [0, 1], [5], 3);
        FluentActions.Invoking(() => Trainer.Evaluate(net, new SoftmaxCrossEntropy(), wrongShape))
            .Should().Throw<ArgumentException>().WithParameterName("data").WithMessage("*[5]*network input [4]*");
    }
}
