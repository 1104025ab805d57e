using ConvNet.Initialization;
using ConvNet.Layers;

namespace ConvNet.Models;

/// <summary>
/// Residual networks for 1×28×28 images (He et al. 2016; Xie et al. 2017), the lecture's "feature map selection" slide
/// after AlexNet: a 3×3 stem, three stages at 28², 14² and 7² whose first block (stages 2 and 3) halves the size with
/// a stride-2 convolution and a 1×1 stride-2 projection shortcut, global average pooling and a 10-way classifier.
/// Convolutions have no bias (BatchNorm's β takes its place) and He-normal initial weights.
/// </summary>
public static class ResNet
{
    /// <summary>
    /// ResNet-20: stem Conv3×3 1→16 → BN → ReLU; 3 stages of 3 basic blocks at 16, 32, 64 channels; basic block =
    /// Conv3×3 → BN → ReLU → Conv3×3 → BN → + shortcut → ReLU; global average pool → FC 64→10 (272,186 parameters).
    /// </summary>
    /// <param name="seed">Seed of the initial weights.</param>
    /// <param name="classes">Output classes.</param>
    /// <returns>The initialized network.</returns>
    public static Network ResNet20(int seed = 0, int classes = 10)
    {
        var net = Stem(16);
        int channels = 16;
        int[] widths = [16, 32, 64];
        for (int stage = 0; stage < widths.Length; stage++)
        {
            for (int block = 0; block < 3; block++)
            {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                net.Add(BasicBlock(channels, widths[stage], stride));
                channels = widths[stage];
            }
        }

        return Head(net, channels, classes, seed);
    }

    /// <summary>
    /// ResNeXt for Fashion-MNIST: the same stem and stages with 3 bottleneck blocks each whose 3×3 convolution has
    /// cardinality 8 (a block-diagonal connection table: 8 groups); bottleneck = Conv1×1 → BN → ReLU → grouped
    /// Conv3×3 (stride) → BN → ReLU → Conv1×1 → BN → + shortcut → ReLU, at 32, 64 and 128 channels with a bottleneck
    /// as wide as the block (group width 4, 8, 16).
    /// </summary>
    /// <param name="seed">Seed of the initial weights.</param>
    /// <param name="classes">Output classes.</param>
    /// <param name="cardinality">Groups of the 3×3 convolutions.</param>
    /// <returns>The initialized network.</returns>
    public static Network ResNeXt(int seed = 0, int classes = 10, int cardinality = 8)
    {
        var net = Stem(16);
        int channels = 16;
        int[] widths = [32, 64, 128];
        for (int stage = 0; stage < widths.Length; stage++)
        {
            for (int block = 0; block < 3; block++)
            {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                net.Add(BottleneckBlock(channels, widths[stage], widths[stage], cardinality, stride));
                channels = widths[stage];
            }
        }

        return Head(net, channels, classes, seed);
    }

    /// <summary>Conv3×3 → BN → ReLU → Conv3×3 → BN → + shortcut → ReLU (projection when the shape changes).</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="stride">Stride of the first convolution and the projection.</param>
    /// <returns>The block.</returns>
    public static Sequential BasicBlock(int inChannels, int outChannels, int stride = 1)
    {
        var body = new Sequential(
            Conv(inChannels, outChannels, 3, stride),
            new BatchNorm2D(outChannels),
            new ReLU(),
            Conv(outChannels, outChannels, 3, 1),
            new BatchNorm2D(outChannels));
        return new Sequential(new Residual(body, Projection(inChannels, outChannels, stride)), new ReLU());
    }

    /// <summary>Conv1×1 → BN → ReLU → grouped Conv3×3 → BN → ReLU → Conv1×1 → BN → + shortcut → ReLU.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="width">Bottleneck channels (divisible by <paramref name="cardinality"/>).</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="cardinality">Groups of the 3×3 convolution.</param>
    /// <param name="stride">Stride of the 3×3 convolution and the projection.</param>
    /// <returns>The block.</returns>
    public static Sequential BottleneckBlock(int inChannels, int width, int outChannels, int cardinality, int stride = 1)
    {
        var body = new Sequential(
            Conv(inChannels, width, 1, 1),
            new BatchNorm2D(width),
            new ReLU(),
            new Conv2D(width, width, 3, stride, Padding.Symmetric(1), connections: ConnectionTable.Groups(width, width, cardinality), useBias: false, weightInitializer: WeightInitializer.HeNormal),
            new BatchNorm2D(width),
            new ReLU(),
            Conv(width, outChannels, 1, 1),
            new BatchNorm2D(outChannels));
        return new Sequential(new Residual(body, Projection(inChannels, outChannels, stride)), new ReLU());
    }

    private static Layer? Projection(int inChannels, int outChannels, int stride) =>
        stride == 1 && inChannels == outChannels ? null : new Sequential(Conv(inChannels, outChannels, 1, stride), new BatchNorm2D(outChannels));

    private static Conv2D Conv(int inChannels, int outChannels, int kernel, int stride) =>
        new(inChannels, outChannels, kernel, stride, Padding.Symmetric(kernel / 2), useBias: false, weightInitializer: WeightInitializer.HeNormal);

    private static Network Stem(int channels) => new Network(1, 28, 28)
        .Add(Conv(1, channels, 3, 1))
        .Add(new BatchNorm2D(channels))
        .Add(new ReLU());

    private static Network Head(Network net, int channels, int classes, int seed)
    {
        net.Add(new GlobalAveragePool2D()).Add(new FullyConnected(channels, classes));
        net.Initialize(seed);
        return net;
    }
}
