using System;
using System.IO;
using ConvNet.Data;
using ConvNet.Samples.Browser.Data;

// Usage: dotnet run -c Release --project samples/ConvNet.Samples.Browser.Assets [-- REPO_ROOT]
// Takes the first 2,000 training and the first 300 test images of the shipped Fashion-MNIST subset and writes them
// as wwwroot/data/train.cnis and wwwroot/data/test.cnis of the browser sample.
string root = args.Length > 0 ? args[0] : FindRoot(AppContext.BaseDirectory);
var (train, test) = FashionMnist.Load(Path.Combine(root, "samples", "ConvNet.Samples.LeNet5", "data"));
string output = Path.Combine(root, "samples", "ConvNet.Samples.Browser", "wwwroot", "data");
Directory.CreateDirectory(output);
Write(ImageSet.FromDataset(train, 2000), Path.Combine(output, "train.cnis"));
Write(ImageSet.FromDataset(test, 300), Path.Combine(output, "test.cnis"));

static void Write(ImageSet set, string path)
{
    using (var file = File.Create(path))
    {
        set.Write(file);
    }

    Console.WriteLine($"{path}: {set.Count} images, {new FileInfo(path).Length:N0} bytes");
}

static string FindRoot(string from)
{
    for (var dir = new DirectoryInfo(from); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "ConvNet.sln")))
        {
            return dir.FullName;
        }
    }

    throw new DirectoryNotFoundException("Run from inside the repository or pass its root as the first argument.");
}
