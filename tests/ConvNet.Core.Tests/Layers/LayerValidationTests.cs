using System;
using ConvNet.Layers;
using ConvNet.Losses;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>The bad-input table of the layers: one test per case, each naming layer, parameter and shapes.</summary>
public class LayerValidationTests
{
    [Fact]
    public void Conv_wrong_rank_names_the_layer_and_shapes()
    {
        var conv = new Conv2D(3, 4, 3) { Name = "conv1" };
        FluentActions.Invoking(() => conv.Forward(new Tensor(2, 3, 8)))
            .Should().Throw<ArgumentException>().WithMessage("Conv2D 'conv1'*[C, H, W]*[3, 8]*");
    }

    [Fact]
    public void Conv_wrong_channel_count_is_rejected() =>
        FluentActions.Invoking(() => new Conv2D(3, 4, 3).Forward(new Tensor(2, 2, 8, 8)))
            .Should().Throw<ArgumentException>().WithMessage("Conv2D*3 input channels*actual 2*[2, 8, 8]*");

    [Fact]
    public void Conv_spatial_size_smaller_than_dilated_kernel_under_valid_is_rejected() =>
        FluentActions.Invoking(() => new Conv1D(1, 1, 3, dilation: 3).Forward(new Tensor(1, 1, 6)))
            .Should().Throw<ArgumentException>().WithMessage("Conv1D*spatial size 6*smaller than the dilated kernel 7*");

    [Fact]
    public void Conv_connection_table_of_the_wrong_size_is_rejected() =>
        FluentActions.Invoking(() => new Conv2D(6, 10, 5, connections: ConnectionTable.LeNet5C3))
            .Should().Throw<ArgumentException>().WithParameterName("connections").WithMessage("*16x6*10x6*");

    [Fact]
    public void Connection_table_groups_must_divide_the_channels() =>
        FluentActions.Invoking(() => ConnectionTable.Groups(4, 6, 4)).Should().Throw<ArgumentException>().WithParameterName("groups");

    [Fact]
    public void Conv_output_tensor_of_the_wrong_shape_is_rejected() =>
        FluentActions.Invoking(() => new Conv2D(1, 2, 3).Forward(new Tensor(1, 1, 5, 5), new Tensor(1, 2, 4, 4)))
            .Should().Throw<ArgumentException>().WithParameterName("output").WithMessage("*[1, 2, 3, 3]*[1, 2, 4, 4]*");

    [Fact]
    public void Conv_non_positive_kernel_is_rejected() =>
        FluentActions.Invoking(() => new Conv2D(1, 2, 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("kernelSize");

    [Fact]
    public void FullyConnected_wrong_feature_count_is_rejected() =>
        FluentActions.Invoking(() => new FullyConnected(400, 120) { Name = "fc1" }.Forward(new Tensor(2, 399)))
            .Should().Throw<ArgumentException>().WithMessage("FullyConnected 'fc1'*[400]*[399]*");

    [Fact]
    public void Input_without_a_batch_dimension_is_rejected() =>
        FluentActions.Invoking(() => new ReLU().Forward(new Tensor(5))).Should().Throw<ArgumentException>().WithMessage("*batch-first*[5]*");

    [Fact]
    public void Pool_window_larger_than_the_input_is_rejected() =>
        FluentActions.Invoking(() => new MaxPool2D(4).Forward(new Tensor(1, 1, 3, 8)))
            .Should().Throw<ArgumentException>().WithMessage("MaxPool2D*spatial size 3*window 4*");

    [Fact]
    public void Pool_padding_above_half_the_window_is_rejected() =>
        FluentActions.Invoking(() => new AveragePool2D(2, 2, 2)).Should().Throw<ArgumentException>().WithParameterName("padding");

    [Fact]
    public void Backward_before_forward_is_an_invalid_operation()
    {
        var conv = new Conv2D(1, 1, 3);
        var x = new Tensor(1, 1, 5, 5);
        FluentActions.Invoking(() => conv.Backward(x, new Tensor(1, 1, 3, 3), new Tensor(1, 1, 3, 3), null))
            .Should().Throw<InvalidOperationException>().WithMessage("*before Forward*");
    }

    [Fact]
    public void Backward_with_a_delta_of_the_wrong_shape_is_rejected()
    {
        var relu = new ReLU();
        var x = new Tensor(2, 3);
        var y = relu.Forward(x);
        FluentActions.Invoking(() => relu.Backward(x, y, new Tensor(2, 4), null))
            .Should().Throw<ArgumentException>().WithParameterName("outputGradient").WithMessage("*[2, 3]*[2, 4]*");
    }

    [Fact]
    public void Loss_target_shape_mismatch_is_rejected() =>
        FluentActions.Invoking(() => new EuclideanLoss().Forward(new Tensor(2, 3), new Tensor(2, 4)))
            .Should().Throw<ArgumentException>().WithParameterName("target").WithMessage("*[2, 3]*[2, 4]*");

    [Fact]
    public void Loss_label_out_of_range_is_rejected() =>
        FluentActions.Invoking(() => new SoftmaxCrossEntropy().Forward(new Tensor(2, 10), new[] { 3, 10 }))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("labels").WithMessage("*label 10 of sample 1*0..9*");

    [Fact]
    public void Loss_label_count_mismatch_is_rejected() =>
        FluentActions.Invoking(() => new SoftmaxCrossEntropy().Forward(new Tensor(3, 10), new[] { 1, 2 }))
            .Should().Throw<ArgumentException>().WithParameterName("labels").WithMessage("*3 labels*actual 2*");

    [Fact]
    public void Null_arguments_are_rejected()
    {
        FluentActions.Invoking(() => new ReLU().Forward(null!)).Should().Throw<ArgumentNullException>().WithParameterName("input");
        FluentActions.Invoking(() => new EuclideanLoss().Forward(null!, new Tensor(1, 1))).Should().Throw<ArgumentNullException>().WithParameterName("prediction");
    }
}
