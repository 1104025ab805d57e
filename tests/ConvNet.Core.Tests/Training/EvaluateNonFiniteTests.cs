using System.Linq;
using ConvNet.Data;
using ConvNet.Losses;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

/// <summary>Evaluate on data whose outputs are NaN: the loss is NaN (as Keras reports it) and a NaN output is never a
/// correct prediction.</summary>
public sealed class EvaluateNonFiniteTests
{
    [Fact]
    public void Samples_with_NaN_outputs_count_as_wrong_and_the_loss_is_NaN()
    {
        // Ten samples of class 0: the first four hold a NaN, so their outputs are all NaN (whose arg-max is index 0).
        var x = Tiny.Data(10).Samples.ToArray();
        for (int s = 0; s < 4; s++)
        {
            x[s * Tiny.Inputs] = float.NaN;
        }

        var data = new Dataset(x, new int[10], [Tiny.Inputs], Tiny.Classes);
        var net = Tiny.Net();
        var r = Trainer.Evaluate(net, new SoftmaxCrossEntropy(), data);
        r.Loss.Should().Be(double.NaN);
        var finite = Trainer.Evaluate(net, new SoftmaxCrossEntropy(), data.Subset(4, 6));
        r.Accuracy.Should().Be(finite.Accuracy * 6 / 10, "the four NaN samples are wrong, the others as before");
        r.NonFiniteOutputs.Should().Be(4);
        finite.NonFiniteOutputs.Should().Be(0);
        r.ConfusionMatrix!.Total.Should().Be(6, "samples without a prediction are not in the confusion matrix");
        r.ConfusionMatrix.ToArray().Should().BeEquivalentTo(finite.ConfusionMatrix!.ToArray());
    }

    [Fact]
    public void All_NaN_data_of_class_0_is_not_100_percent_accurate()
    {
        var data = new Dataset(Enumerable.Repeat(float.NaN, 10 * Tiny.Inputs).ToArray(), new int[10], [Tiny.Inputs], Tiny.Classes);
        var r = Trainer.Evaluate(Tiny.Net(), new SoftmaxCrossEntropy(), data);
        r.Loss.Should().Be(double.NaN);
        r.Accuracy.Should().Be(0);
        r.NonFiniteOutputs.Should().Be(10);
    }
}
