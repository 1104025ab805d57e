using ConvNet.Initialization;
using ConvNet.Layers;

namespace ConvNet.Models;

/// <summary>LeNet-5 (LeCun et al. 1998) for 1×28×28 images and 10 classes, in two flavours.</summary>
public static class LeNet5
{
    /// <summary>
    /// The modern LeNet-5: conv 5×5 1→6 (same padding), ReLU, max-pool 2, conv 5×5 6→16, ReLU, max-pool 2, flatten,
    /// FC 400→120, ReLU, FC 120→84, ReLU, FC 84→10 (logits for <see cref="Losses.SoftmaxCrossEntropy"/>). He initialization.
    /// 61,706 parameters.
    /// </summary>
    /// <param name="seed">Seed of the initial weights.</param>
    /// <returns>The network.</returns>
    public static Network Modern(int seed = 0)
    {
        var net = new Network(1, 28, 28)
            .Add(new Conv2D(1, 6, 5, padding: Padding.Same) { Name = "C1" })
            .Add(new ReLU())
            .Add(new MaxPool2D(2) { Name = "S2" })
            .Add(new Conv2D(6, 16, 5) { Name = "C3" })
            .Add(new ReLU())
            .Add(new MaxPool2D(2) { Name = "S4" })
            .Add(new Flatten())
            .Add(new FullyConnected(400, 120) { Name = "F5" })
            .Add(new ReLU())
            .Add(new FullyConnected(120, 84) { Name = "F6" })
            .Add(new ReLU())
            .Add(new FullyConnected(84, 10) { Name = "output" });
        net.Initialize(seed);
        return net;
    }

    /// <summary>
    /// LeNet-5 as in 1998: conv 5×5 1→6 (same padding), tanh (or sigmoid), average-pool 2, conv 5×5 6→16 with the
    /// lecture's <see cref="ConnectionTable.LeNet5C3"/> table (1,516 parameters), tanh, average-pool 2, flatten, FC 400→120, tanh,
    /// FC 120→84, tanh, FC 84→10. LeCun-uniform initialization. The original's trainable pooling coefficients and RBF
    /// output are replaced by plain pooling and softmax.
    /// </summary>
    /// <param name="seed">Seed of the initial weights.</param>
    /// <param name="sigmoid">Use sigmoid instead of tanh.</param>
    /// <returns>The network.</returns>
    public static Network Classic(int seed = 0, bool sigmoid = false)
    {
        Layers.Layer Act() => sigmoid ? new Sigmoid() : new Tanh();
        var init = WeightInitializer.LeCunUniform;
        var net = new Network(1, 28, 28)
            .Add(new Conv2D(1, 6, 5, padding: Padding.Same, weightInitializer: init) { Name = "C1" })
            .Add(Act())
            .Add(new AveragePool2D(2) { Name = "S2" })
            .Add(new Conv2D(6, 16, 5, connections: ConnectionTable.LeNet5C3, weightInitializer: init) { Name = "C3" })
            .Add(Act())
            .Add(new AveragePool2D(2) { Name = "S4" })
            .Add(new Flatten())
            .Add(new FullyConnected(400, 120, weightInitializer: init) { Name = "C5" })
            .Add(Act())
            .Add(new FullyConnected(120, 84, weightInitializer: init) { Name = "F6" })
            .Add(Act())
            .Add(new FullyConnected(84, 10, weightInitializer: init) { Name = "output" });
        net.Initialize(seed);
        return net;
    }
}
