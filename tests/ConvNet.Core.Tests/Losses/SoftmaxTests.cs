using System.Collections.Generic;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Losses;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace ConvNet.Core.Tests.Losses;

/// <summary><see cref="SoftmaxCrossEntropy.Softmax"/> subtracts the row maximum, so huge logits stay finite.</summary>
public class SoftmaxTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases() =>
        Oracle.Names(OracleV2Files.Activations, c => c.Op == "softmax" && c.Inputs["x"].Shape.Length == 2);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Softmax_matches_pytorch_including_logits_of_plus_minus_1000(string name)
    {
        var c = Oracle.Case(OracleV2Files.Activations, name);
        var x = c.Inputs["x"].ToTensor();
        var p = new Tensor(x.Shape.ToArray());
        SoftmaxCrossEntropy.Softmax(x, p);
        OracleV2Files.ShouldMatch(p.AsSpan(), c.Expected["y"], name, output);
    }

    [Theory]
    [InlineData(new float[] { 1000f, 0f, -1000f }, new double[] { 1, 0, 0 })]
    [InlineData(new float[] { 89f, 88.5f, 0f }, new double[] { 0.6224593312018546, 0.3775406687981454, 0 })]
    [InlineData(new float[] { -1000f, -1000f, -1001f }, new double[] { 0.4223187982515182, 0.4223187982515182, 0.15536240349696362 })]
    [InlineData(new float[] { -104f, -105f, -110f }, new double[] { 0.7297362141184152, 0.26845495065244657, 0.0018088352291382895 })]
    public void Softmax_of_rows_whose_exp_overflows_or_underflows_is_finite_and_sums_to_1(float[] logits, double[] expected)
    {
        var p = new Tensor(1, logits.Length);
        SoftmaxCrossEntropy.Softmax(Tensor.FromData(logits, 1, logits.Length), p);
        Assertions.ShouldMatch(p.AsSpan(), expected, 1e-6, string.Join(", ", logits));
    }

    [Fact]
    public void Softmax_may_write_over_its_input()
    {
        var z = Tensor.FromData([1000f, 999f, 3f, -2f], 2, 2);
        SoftmaxCrossEntropy.Softmax(z, z);
        Assertions.ShouldMatch(z.AsSpan(), [0.7310585786300049, 0.2689414213699951, 0.9933071490757153, 0.0066928509242848554], 1e-6, "in place");
    }

    [Fact]
    public void Cross_entropy_on_logits_of_plus_minus_1000_is_finite()
    {
        var z = Tensor.FromData([1000f, -1000f, 0f, -1000f, -1001f, -999.5f], 2, 3);
        var ce = new SoftmaxCrossEntropy(LossReduction.Sum);
        ((double)ce.Forward(z, [1, 2])).Should().BeApproximately(2000.6041306053367, 1e-3);
        var g = new Tensor(2, 3);
        ce.Backward(z, [1, 2], g);
        Assertions.ShouldMatch(g.AsSpan(), [1, -1, 0, 0.33149896042407984, 0.12195165230972457, 0.5465493872661604 - 1], 1e-6, "δ");
    }
}
