fn main() {
    leptos::mount::mount_to_body(minivoice_widget::App);
}
