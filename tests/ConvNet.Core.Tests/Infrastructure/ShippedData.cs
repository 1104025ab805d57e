using System;
using System.IO;
using ConvNet.Data;

namespace ConvNet.Core.Tests.Infrastructure;

/// <summary>The Fashion-MNIST subset shipped with the LeNet-5 sample (copied next to the tests by the project reference).</summary>
public static class ShippedData
{
    private static readonly Lazy<(Dataset Train, Dataset Test)> Sets = new(() =>
    {
        string dir = Directory;
        if (!File.Exists(Path.Combine(dir, "train-images-idx3-ubyte.gz")))
        {
            throw new FileNotFoundException($"The shipped Fashion-MNIST subset is missing from {dir}; it lives in samples/ConvNet.Samples.LeNet5/data.");
        }

        return FashionMnist.Load(dir);
    });

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "data");

    public static Dataset Train => Sets.Value.Train;

    public static Dataset Test => Sets.Value.Test;
}
