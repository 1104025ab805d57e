using System.Collections.Generic;

namespace ConvNet.Onnx;

/// <summary>The result of <see cref="OnnxImporter.Import(string, OnnxImportOptions?)"/>: the network and what the file called things.</summary>
public sealed class OnnxImportedModel
{
    internal OnnxImportedModel(Network network, string inputName, string outputName, int opset, string producer, IReadOnlyList<string> notes)
    {
        Network = network;
        InputName = inputName;
        OutputName = outputName;
        Opset = opset;
        Producer = producer;
        Notes = notes;
    }

    /// <summary>The network (in inference mode); its input is the graph input without the batch axis.</summary>
    public Network Network { get; }

    /// <summary>The name of the graph's input, e.g. "input.1" or the <c>input_names</c> given to <c>torch.onnx.export</c>.</summary>
    public string InputName { get; }

    /// <summary>The name of the graph's output.</summary>
    public string OutputName { get; }

    /// <summary>The default-domain operator set the file imports.</summary>
    public int Opset { get; }

    /// <summary>The producer recorded in the file, e.g. "pytorch 1.13.1".</summary>
    public string Producer { get; }

    /// <summary>What the import did that a reader may want to know, e.g. dropped Dropout nodes or folded BatchNorms.</summary>
    public IReadOnlyList<string> Notes { get; }
}
