namespace ConvNet.Onnx;

/// <summary>Options of <see cref="OnnxImporter"/>: how BatchNormalization is imported and the limits a file must respect.</summary>
public sealed class OnnxImportOptions
{
    /// <summary>
    /// Fold each BatchNormalization that directly follows a Conv (whose output nothing else reads) into the convolution's
    /// weights and bias: faster inference, but the statistics can no longer be trained. Default false: a BatchNorm layer
    /// with the file's γ, β and running statistics, which fine-tuning can train.
    /// </summary>
    public bool FoldBatchNorm { get; init; }

    /// <summary>The largest .onnx file accepted, in bytes (default 512 MiB; at most 2 GiB, protobuf's own limit).</summary>
    public long MaxFileBytes { get; init; } = 512L << 20;

    /// <summary>The most elements one tensor (an initializer, the input sample) may have (default 2^28).</summary>
    public long MaxTensorElements { get; init; } = 1L << 28;

    /// <summary>The most nodes a graph may have (default 100 000).</summary>
    public int MaxNodes { get; init; } = 100_000;
}
