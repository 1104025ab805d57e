using System.Collections.Generic;

namespace ConvNet.Serialization;

/// <summary>What <see cref="ModelSerializer.LoadWeights(Network, string, bool)"/> left alone (PyTorch's
/// <c>load_state_dict</c> result); both lists are empty after a strict load.</summary>
/// <param name="MissingKeys">Parameters and buffers of the network the file does not have (kept as they were).</param>
/// <param name="UnexpectedKeys">Tensors in the file the network does not have (ignored).</param>
public sealed record WeightLoadResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);
