using System.Collections.Generic;
using System.Linq;

namespace ConvNet.Serialization;

/// <summary>Copies the weights and buffers of a model file into an existing network, matched by name (PyTorch's
/// <c>load_state_dict</c>).</summary>
internal static class WeightLoader
{
    public static WeightLoadResult Copy(Network source, Network target, bool strict)
    {
        var from = new Dictionary<string, Tensor>(System.StringComparer.Ordinal);
        foreach (var (name, p) in source.NamedParameters)
        {
            from[name] = p.Value;
        }

        foreach (var (name, b) in source.NamedBuffers)
        {
            from[name] = b.Value;
        }

        var to = new List<(string Name, Tensor Value)>();
        to.AddRange(target.NamedParameters.Select(x => (x.Name, x.Parameter.Value)));
        to.AddRange(target.NamedBuffers.Select(x => (x.Name, x.Buffer.Value)));
        var missing = new List<string>();
        var mismatched = new List<string>();
        var copies = new List<(Tensor From, Tensor To)>();
        foreach (var (name, value) in to)
        {
            if (!from.Remove(name, out var stored))
            {
                missing.Add(name);
            }
            else if (!stored.HasShape(value.Shape))
            {
                mismatched.Add($"{name}: file {ThrowHelper.Shape(stored.Shape)}, network {ThrowHelper.Shape(value.Shape)}");
            }
            else
            {
                copies.Add((stored, value));
            }
        }

        var unexpected = from.Keys.Order(System.StringComparer.Ordinal).ToList();
        if (mismatched.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
        {
            var lines = new List<string>();
            if (mismatched.Count > 0)
            {
                lines.Add("shapes differ for " + string.Join("; ", mismatched));
            }

            if (strict && missing.Count > 0)
            {
                lines.Add("missing from the file: " + string.Join(", ", missing));
            }

            if (strict && unexpected.Count > 0)
            {
                lines.Add("not in the network: " + string.Join(", ", unexpected));
            }

            ThrowHelper.InvalidData("The model file does not fit this network (nothing was copied): " + string.Join("; ", lines) + (strict ? ". Pass strict: false to copy only the names both have." : "."));
        }

        lock (target.SyncRoot)
        {
            foreach (var (f, t) in copies)
            {
                f.AsSpan().CopyTo(t.AsSpan());
            }
        }

        return new WeightLoadResult(missing, unexpected);
    }
}
