using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Models;

/// <summary>Dropout (placeholder until the trainer's seeded version lands).</summary>
public sealed class Dropout : nn.Module<Tensor, Tensor>
{
    private readonly double p;

    public Dropout(double p)
        : base(nameof(Dropout))
    {
        this.p = p;
    }

    public override Tensor forward(Tensor input) => nn.functional.dropout(input, p, training);
}
